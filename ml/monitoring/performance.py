"""A champion's performance on matured labels against its value at training.

A churn score made at as-of date D can only be judged once its horizon has passed: the dbt label
models hold rows only for matured as-of dates, so joining ``ml.predictions`` to them yields
exactly the scores whose outcome is known. The current ROC-AUC (classifiers) or MAE (CLV) on
those rows is compared with the champion's holdout value from training; each verdict is
appended to ``ml.model_performance``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

import pandas as pd

from ml.contracts import ML_SCHEMA, MODEL_SPECS, PERFORMANCE_TABLE, PREDICTIONS_TABLE, ModelSpec
from ml.monitoring.champion import ChampionSource, ChampionVersion, NothingToCheck
from ml.monitoring.settings import MonitoringError, MonitoringSettings
from warehouse.adapters import float_type, text_type

if TYPE_CHECKING:
    from warehouse.settings import Settings, Target

Status = Literal["ok", "degraded", "insufficient_labels", "no_reference"]


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
    status: Status
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


def matured_predictions_sql(spec: ModelSpec, target: Target = "duckdb") -> str:
    """The latest score per entity and as-of date of one model version (the two ``%s``: model
    name and version), joined to its label."""
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
    where model_name = %s
        and model_version = %s
),

labels as (
    select
        cast({spec.entity_column} as {text_type(target)}) as entity_id,
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
    from warehouse import read_frame, table_exists

    empty = pd.DataFrame(columns=["entity_id", "as_of_date", "score", "label"])
    predictions = f"{ML_SCHEMA}.{PREDICTIONS_TABLE}"
    if spec.label_model is None or not table_exists(settings, predictions):
        return empty
    if not table_exists(settings, f"features.{spec.label_model}"):
        return empty
    return read_frame(
        settings, matured_predictions_sql(spec, settings.target), (spec.name, model_version)
    )


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
        status: Status = "insufficient_labels"
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


def performance_table_ddl(target: Target) -> str:
    """``create table if not exists`` for ``ml.model_performance`` (one row per check run)."""
    double = float_type(target)
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
    from warehouse import append_frame

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
    return append_frame(
        settings,
        f"{ML_SCHEMA}.{PERFORMANCE_TABLE}",
        frame,
        ddl=[performance_table_ddl(settings.target)],
    )
