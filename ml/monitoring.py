"""Model performance on matured labels, alert feedback, and when to retrain.

A churn score made at as-of date D can only be judged once its horizon has passed: the dbt label
models hold rows only for matured as-of dates, so joining ``ml.predictions`` to them yields
exactly the scores whose outcome is known. The current ROC-AUC (classifiers) or MAE (CLV) on
those rows is compared with the champion's holdout value from training.

Feedback: CSMs mark alerts accurate / inaccurate (``ops.alert_feedback``); the share of
'inaccurate' per alert type is a quality signal, and enough new rows since the last retraining
is a retraining trigger. ``plan_retraining`` turns the signals into at most one trigger per
model and cause per cool-down; the Dagster sensor only reads tables and calls it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pandas as pd

from ml.contracts import (
    DRIFT_TABLE,
    ML_SCHEMA,
    MODEL_SPECS,
    PERFORMANCE_TABLE,
    PREDICTIONS_TABLE,
    ModelSpec,
)
from warehouse.adapters import float_type

if TYPE_CHECKING:
    from warehouse.settings import Settings

Dialect = Literal["duckdb", "postgres"]
Cause = Literal["drift", "performance", "feedback"]
CAUSES: tuple[Cause, ...] = ("drift", "performance", "feedback")

#: Where CSM feedback and the alerts it refers to live (written by the notifier and dbt).
FEEDBACK_TABLE = "ops.alert_feedback"
ALERTS_TABLE = "marts.alerts"


class MonitoringError(ValueError):
    """A monitoring input is unusable; the message names what is wrong."""


class NothingToCheck(Exception):
    """A check has nothing to compare yet (no champion, no scores); the message says what."""


class ChampionVersion(Protocol):
    """What monitoring reads of a registered version (``ml.registry.ModelVersion``)."""

    version: str
    features: list[str]
    metrics: dict[str, float]
    primary_metric_value: float | None


class ChampionSource(Protocol):
    """The registry as monitoring sees it (``ml.registry.ModelRegistry``)."""

    def champion(self, model_name: str) -> Any: ...

    def reference(self, version: Any) -> pd.DataFrame: ...


@dataclass(frozen=True)
class MonitoringSettings:
    """Tolerances and triggers; each can be set from the environment (``from_env``)."""

    #: A classifier is degraded when its ROC-AUC fell by more than this (absolute).
    auc_tolerance: float = 0.05
    #: A regressor is degraded when its error rose by more than this share of the training one.
    error_tolerance: float = 0.20
    #: Fewer matured rows than this: no verdict (too noisy to retrain on).
    min_matured_rows: int = 200
    #: Matured as-of dates this many days before the newest one form the "current" window.
    window_days: int = 90
    #: New feedback rows (since the last retraining) that trigger a retraining.
    feedback_rows: int = 50
    #: One cause does not retrain the same model again within this many days.
    cooldown_days: int = 7

    @classmethod
    def from_env(cls) -> MonitoringSettings:
        values: dict[str, Any] = {}
        for name, kind in (
            ("auc_tolerance", float),
            ("error_tolerance", float),
            ("min_matured_rows", int),
            ("window_days", int),
            ("feedback_rows", int),
            ("cooldown_days", int),
        ):
            variable = f"CIW_MONITOR_{name.upper()}"
            text = os.environ.get(variable)
            if text is None:
                continue
            try:
                values[name] = kind(text)
            except ValueError:
                raise MonitoringError(
                    f"{variable} must be a {kind.__name__}, got {text!r}"
                ) from None
            if values[name] < 0:
                raise MonitoringError(f"{variable} must not be negative, got {text!r}")
        return cls(**values)


# --- warehouse helpers ------------------------------------------------------------------------


def table_exists(settings: Settings, qualified_name: str) -> bool:
    """Whether ``schema.table`` exists (information_schema answers on both warehouses)."""
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        return session.table_exists(qualified_name)


def sql_literal(value: str) -> str:
    """A quoted SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _timestamp_literal(moment: datetime) -> str:
    naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return f"cast({sql_literal(naive.isoformat(sep=' '))} as timestamp)"


def append_rows(
    settings: Settings, table: str, frame: pd.DataFrame, ddl: Callable[[Dialect], str]
) -> int:
    """Append ``frame`` to ``ml.<table>``, creating the schema and table when missing."""
    from warehouse import append_frame

    return append_frame(settings, f"{ML_SCHEMA}.{table}", frame, ddl=[ddl(settings.target)])


# --- performance on matured labels ------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceResult:
    """The current metric on matured labels beside the value at training."""

    model_name: str
    model_version: str
    metric_name: str
    reference_value: float | None
    current_value: float | None
    tolerance: float
    matured_rows: int
    as_of_start: date | None
    as_of_end: date | None
    status: Literal["ok", "degraded", "insufficient_labels", "no_reference"]
    checked_at: datetime

    @property
    def is_degraded(self) -> bool:
        return self.status == "degraded"

    def summary(self) -> str:
        if self.current_value is None:
            return (
                f"{self.model_name} {self.model_version}: {self.status.replace('_', ' ')} "
                f"({self.matured_rows} matured rows)"
            )
        reference = "n/a" if self.reference_value is None else f"{self.reference_value:.4f}"
        return (
            f"{self.model_name} {self.model_version}: {self.metric_name} "
            f"{self.current_value:.4f} now vs {reference} at training on {self.matured_rows} "
            f"matured rows ({self.status})"
        )


def matured_predictions_sql(spec: ModelSpec, model_version: str) -> str:
    """The model version's latest score per entity and as-of date, joined to its label."""
    if spec.label_model is None or spec.label_column is None:
        raise MonitoringError(f"model {spec.name!r} has no label model: nothing can mature")
    return f"""
with

scores as (
    select
        entity_id,
        as_of_date,
        score,
        row_number() over (
            partition by entity_id, as_of_date order by scored_at desc
        ) as recency
    from {ML_SCHEMA}.{PREDICTIONS_TABLE}
    where model_name = {sql_literal(spec.name)}
        and model_version = {sql_literal(model_version)}
),

labels as (
    select
        cast({spec.entity_column} as varchar) as entity_id,
        as_of_date,
        {spec.label_column} as label
    from features.{spec.label_model}
)

select
    scores.entity_id,
    scores.as_of_date,
    scores.score,
    labels.label
from scores
inner join labels
    on scores.entity_id = labels.entity_id and scores.as_of_date = labels.as_of_date
where scores.recency = 1
"""


def read_matured_predictions(
    settings: Settings, spec: ModelSpec, model_version: str
) -> pd.DataFrame:
    """Matured rows (entity_id, as_of_date, score, label); empty when a table is missing."""
    from warehouse import read_frame

    empty = pd.DataFrame(columns=["entity_id", "as_of_date", "score", "label"])
    predictions = f"{ML_SCHEMA}.{PREDICTIONS_TABLE}"
    if spec.label_model is None or not table_exists(settings, predictions):
        return empty
    if not table_exists(settings, f"features.{spec.label_model}"):
        return empty
    return read_frame(settings, matured_predictions_sql(spec, model_version))


def current_metric(spec: ModelSpec, scores: pd.Series, labels: pd.Series) -> float | None:
    """ROC-AUC for classifiers (None with a single class), MAE for regressors."""
    from sklearn.metrics import mean_absolute_error, roc_auc_score

    score_values = pd.to_numeric(scores).astype(float)
    if spec.kind == "regressor":
        return float(mean_absolute_error(pd.to_numeric(labels).astype(float), score_values))
    if spec.kind != "classifier":
        raise MonitoringError(f"model {spec.name!r} is a {spec.kind}: no matured-label metric")
    target = labels.astype(bool)
    if spec.invert_label:
        target = ~target
    if target.nunique() < 2:
        return None
    return float(roc_auc_score(target.astype(int), score_values))


def evaluate_performance(
    spec: ModelSpec,
    matured: pd.DataFrame,
    *,
    model_version: str,
    reference_value: float | None,
    settings: MonitoringSettings | None = None,
    checked_at: datetime | None = None,
) -> PerformanceResult:
    """Judge the model on its newest matured window against ``reference_value``."""
    limits = settings or MonitoringSettings()
    frame = matured.dropna(subset=["score", "label"])
    window_start: date | None = None
    window_end: date | None = None
    if not frame.empty:
        as_of = pd.to_datetime(frame["as_of_date"])
        window_end_ts = as_of.max()
        in_window = as_of > window_end_ts - pd.Timedelta(days=limits.window_days)
        frame = frame[in_window.to_numpy()]
        window_start = pd.to_datetime(frame["as_of_date"]).min().date()
        window_end = window_end_ts.date()
    higher_is_better = spec.higher_is_better
    tolerance = limits.auc_tolerance if higher_is_better else limits.error_tolerance
    value = current_metric(spec, frame["score"], frame["label"]) if len(frame) else None
    if len(frame) < limits.min_matured_rows or value is None:
        status: Literal["ok", "degraded", "insufficient_labels", "no_reference"] = (
            "insufficient_labels"
        )
    elif reference_value is None or math.isnan(reference_value):
        status = "no_reference"
    elif higher_is_better:
        status = "degraded" if value < reference_value - tolerance else "ok"
    else:
        status = "degraded" if value > reference_value * (1 + tolerance) else "ok"
    return PerformanceResult(
        model_name=spec.name,
        model_version=model_version,
        metric_name=spec.primary_metric,
        reference_value=reference_value,
        current_value=value,
        tolerance=tolerance,
        matured_rows=len(frame),
        as_of_start=window_start,
        as_of_end=window_end,
        status=status,
        checked_at=checked_at or datetime.now(UTC).replace(tzinfo=None),
    )


def run_performance_check(
    settings: Settings,
    registry: ChampionSource,
    model_name: str,
    *,
    run_id: str,
    limits: MonitoringSettings | None = None,
) -> PerformanceResult:
    """Judge the champion on matured labels and append the verdict to ``ml.model_performance``."""
    spec = MODEL_SPECS[model_name]
    champion: ChampionVersion | None = registry.champion(model_name)
    if champion is None:
        raise NothingToCheck(f"{model_name} has no champion yet")
    reference_value = champion.primary_metric_value
    if reference_value is None:
        reference_value = champion.metrics.get(spec.primary_metric)
    matured = read_matured_predictions(settings, spec, champion.version)
    result = evaluate_performance(
        spec,
        matured,
        model_version=champion.version,
        reference_value=reference_value,
        settings=limits,
    )
    write_performance_result(settings, result, run_id)
    return result


def performance_table_ddl(dialect: Dialect) -> str:
    """``create table if not exists`` for ``ml.model_performance`` (one row per check run)."""
    double = float_type(dialect)
    return f"""
create table if not exists {ML_SCHEMA}.{PERFORMANCE_TABLE} (
    run_id varchar not null,
    model_name varchar not null,
    model_version varchar not null,
    checked_at timestamp not null,
    metric_name varchar not null,
    reference_value {double},
    current_value {double},
    tolerance {double} not null,
    matured_rows integer not null,
    as_of_start date,
    as_of_end date,
    status varchar not null,
    is_degraded boolean not null
)"""


def write_performance_result(settings: Settings, result: PerformanceResult, run_id: str) -> int:
    """Append one row to ``ml.model_performance``."""
    row = {
        "run_id": run_id,
        "model_name": result.model_name,
        "model_version": result.model_version,
        "checked_at": result.checked_at,
        "metric_name": result.metric_name,
        "reference_value": result.reference_value,
        "current_value": result.current_value,
        "tolerance": result.tolerance,
        "matured_rows": result.matured_rows,
        "as_of_start": result.as_of_start,
        "as_of_end": result.as_of_end,
        "status": result.status,
        "is_degraded": result.is_degraded,
    }
    frame = pd.DataFrame([row]).astype({"reference_value": float, "current_value": float})
    return append_rows(settings, PERFORMANCE_TABLE, frame, performance_table_ddl)


# --- feedback ---------------------------------------------------------------------------------


def inaccurate_share(feedback: pd.DataFrame) -> pd.DataFrame:
    """Per alert type: feedback rows, 'inaccurate' rows and their share (highest share first)."""
    if feedback.empty:
        return pd.DataFrame(columns=["alert_type", "feedback_rows", "inaccurate_rows", "share"])
    marked = feedback.assign(inaccurate=feedback["alert_accuracy"].eq("inaccurate"))
    grouped = marked.groupby("alert_type", dropna=False).agg(
        feedback_rows=("inaccurate", "size"), inaccurate_rows=("inaccurate", "sum")
    )
    grouped["share"] = grouped["inaccurate_rows"] / grouped["feedback_rows"]
    return grouped.reset_index().sort_values(["share", "alert_type"], ascending=[False, True])


def read_feedback(settings: Settings, since: datetime | None = None) -> pd.DataFrame:
    """Feedback rows with their alert type ('unknown' before the alerts mart exists) and the
    model the alert's feedback judges (``marts.alerts.model_name``; null for other alerts)."""
    from warehouse import read_frame

    columns = ["feedback_id", "alert_id", "recorded_at", "alert_accuracy", "alert_type"]
    if not table_exists(settings, FEEDBACK_TABLE):
        return pd.DataFrame(columns=[*columns, "model_name"])
    where = f"where feedback.recorded_at > {_timestamp_literal(since)}" if since else ""
    if table_exists(settings, ALERTS_TABLE):
        alert_type, model_name = "coalesce(alerts.alert_type, 'unknown')", "alerts.model_name"
        join = (
            f"left join (select distinct alert_id, alert_type, model_name from {ALERTS_TABLE})"
            " as alerts on feedback.alert_id = alerts.alert_id"
        )
    else:
        alert_type, model_name, join = "'unknown'", "cast(null as varchar)", ""
    return read_frame(
        settings,
        f"select feedback.feedback_id, feedback.alert_id, feedback.recorded_at, "
        f"feedback.alert_accuracy, {alert_type} as alert_type, {model_name} as model_name "
        f"from {FEEDBACK_TABLE} as feedback {join} {where}",
    )


def count_new_feedback(
    feedback: pd.DataFrame, since: datetime | None, alert_types: Sequence[str]
) -> int:
    """Rows of the given alert types recorded after ``since`` (all of them when None)."""
    rows = feedback[feedback["alert_type"].isin(list(alert_types))]
    if since is not None and not rows.empty:
        naive = since.astimezone(UTC).replace(tzinfo=None) if since.tzinfo else since
        # Naive timestamps are UTC (both warehouses store them so); aware ones are converted.
        recorded = pd.to_datetime(rows["recorded_at"], utc=True).dt.tz_localize(None)
        rows = rows[(recorded > pd.Timestamp(naive)).to_numpy()]
    return len(rows)


# --- retraining signals -----------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainingSignal:
    """Evidence that a model should be retrained, with when it was observed."""

    model_name: str
    cause: Cause
    observed_at: datetime
    detail: str
    #: What was observed (the check's run id), so the same evidence is recognised again.
    evidence_id: str = ""
    #: The champion the evidence is about ("" for feedback, which judges the alerts).
    model_version: str = ""


def latest_drift_signals(settings: Settings) -> list[RetrainingSignal]:
    """The newest drift check of each model, when it found the model drifted."""
    return _latest_flagged(
        settings,
        DRIFT_TABLE,
        flag="dataset_drifted",
        cause="drift",
        describe=lambda row: (
            f"drift check {row['run_id']}: share drifted {float(row['share_drifted']):.0%}"
        ),
    )


def latest_performance_signals(settings: Settings) -> list[RetrainingSignal]:
    """The newest performance check of each model, when it found the model degraded."""
    return _latest_flagged(
        settings,
        PERFORMANCE_TABLE,
        flag="is_degraded",
        cause="performance",
        describe=lambda row: (
            f"{row['metric_name']} {float(row['current_value']):.4f} vs "
            f"{float(row['reference_value']):.4f} at training"
        ),
    )


def _latest_flagged(
    settings: Settings,
    table: str,
    *,
    flag: str,
    cause: Cause,
    describe: Callable[[Mapping[str, Any]], str],
) -> list[RetrainingSignal]:
    from warehouse import read_frame

    if not table_exists(settings, f"{ML_SCHEMA}.{table}"):
        return []
    latest = read_frame(
        settings,
        f"""
        with ranked as (
            select *, dense_rank() over (
                partition by model_name order by checked_at desc, run_id desc
            ) as recency
            from {ML_SCHEMA}.{table}
        )
        select * from ranked where recency = 1 and {flag}
        """,
    )
    signals: dict[str, RetrainingSignal] = {}
    for row in latest.to_dict("records"):
        model = str(row["model_name"])
        signals.setdefault(
            model,
            RetrainingSignal(
                model_name=model,
                cause=cause,
                observed_at=pd.Timestamp(row["checked_at"]).to_pydatetime(),
                detail=describe(row),
                evidence_id=str(row["run_id"]),
                model_version=str(row["model_version"]),
            ),
        )
    return list(signals.values())


def feedback_signals(
    feedback: pd.DataFrame,
    since_by_model: Mapping[str, datetime | None],
    *,
    threshold: int,
    now: datetime,
) -> list[RetrainingSignal]:
    """A signal per model with at least ``threshold`` new feedback rows on the alerts it judges
    (the ``model_name`` of each feedback row's alert; seed alert_types decides it)."""
    signals = []
    for model in MODEL_SPECS:
        rows = feedback[feedback["model_name"] == model]
        alert_types = sorted(rows["alert_type"].unique())
        count = count_new_feedback(rows, since_by_model.get(model), alert_types)
        if threshold > 0 and count >= threshold:
            signals.append(
                RetrainingSignal(
                    model_name=model,
                    cause="feedback",
                    observed_at=now,
                    detail=f"{count} new feedback rows on {', '.join(alert_types)}",
                )
            )
    return signals


def plan_retraining(
    signals: Sequence[RetrainingSignal],
    last_triggers: Mapping[str, Mapping[str, datetime]],
    *,
    now: datetime,
    cooldown: timedelta,
    acted_versions: Mapping[str, Mapping[str, str]] | None = None,
) -> list[RetrainingSignal]:
    """The signals that start a retraining now.

    A (model, cause) fires only when its evidence is newer than its last trigger (the same drift
    check never retrains twice) and the last trigger is older than the cool-down (a new check
    finding the same drift a day later waits). A drift or performance signal about a champion
    version that already triggered that cause does not fire again: the retraining kept that
    champion (a new model was not better), so another one on the same evidence would not help;
    once a new champion shows the same problem, it fires again. Unknown models are ignored.
    """
    acted = acted_versions or {}
    chosen = []
    for signal in signals:
        if signal.model_name not in MODEL_SPECS:
            continue
        last = last_triggers.get(signal.model_name, {}).get(signal.cause)
        if last is not None and (signal.observed_at <= last or now - last < cooldown):
            continue
        version = acted.get(signal.model_name, {}).get(signal.cause)
        if signal.model_version and version == signal.model_version:
            continue
        chosen.append(signal)
    return sorted(chosen, key=lambda signal: (signal.model_name, signal.cause))
