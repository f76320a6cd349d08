"""Training sets, training with registration, and batch scoring: the steps Dagster wires.

Plain functions over the warehouse, the feature store gateway and the registry; no Dagster.
Each returns a small summary the orchestration layer shows as metadata.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ml.contracts import (
    ML_SCHEMA,
    PREDICTIONS_TABLE,
    TOP_FACTORS,
    ModelSpec,
    predictions_ddl,
)
from warehouse import append_frame, read_frame
from warehouse.adapters import float_type
from warehouse.settings import Settings

if TYPE_CHECKING:
    from feature_repo.store import FeatureStoreGateway
    from ml.registry import ModelRegistry, ModelVersion

log = logging.getLogger(__name__)

#: Column order of ``ml.predictions`` (the contract in ml/contracts.py).
PREDICTION_COLUMNS = [
    "model_name",
    "model_version",
    "entity",
    "entity_id",
    "as_of_date",
    "score",
    "score_lower",
    "score_upper",
    "score_label",
    "horizon_days",
    *[f"factor_{i}_{part}" for i in range(1, TOP_FACTORS + 1) for part in ("name", "contribution")],
    "scored_at",
    "run_id",
]


#: Columns added to ml.predictions after its first release (added in place on old warehouses).
ADDED_PREDICTION_COLUMNS = ("score_lower", "score_upper")

#: As-of dates an unsupervised model (segmentation) trains and checks on.
UNSUPERVISED_DATES = 4


class NotEnoughData(ValueError):
    """A model cannot be trained or scored on this warehouse (e.g. no B2B sources loaded)."""


def scoring_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / "scoring"


def training_set_path(settings: Settings, model_name: str) -> Path:
    return settings.artifacts_dir / "training_sets" / f"{model_name}.parquet"


def run_as_of_date(settings: Settings) -> date:
    """The as-of date the last dbt build used: the latest date of the feature spine."""
    frame = read_frame(
        settings, "select max(as_of_date) as as_of_date from intermediate.int_as_of_dates"
    )
    value = frame["as_of_date"].iloc[0] if len(frame) else None
    if value is None or pd.isna(value):
        raise NotEnoughData("the feature spine is empty: run dbt (ciw run) first")
    return pd.Timestamp(value).date()


def load_labels(settings: Settings, spec: ModelSpec) -> pd.DataFrame:
    """The label model's rows: entity, as_of_date, the target (and its horizon when it has one)."""
    if spec.label_model is None or spec.label_column is None:
        raise ValueError(f"{spec.name} has no label model")
    horizon = ", horizon_days" if spec.horizon_var else ""
    frame = read_frame(
        settings,
        f"select {spec.entity_column}, as_of_date, {spec.label_column}{horizon} "
        f"from features.{spec.label_model}",
    )
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


def build_training_set(
    settings: Settings, spec: ModelSpec, gateway: FeatureStoreGateway, as_of: date
) -> pd.DataFrame:
    """Label rows joined point-in-time with the spec's features (through Feast), saved as Parquet.

    Segmentation has no labels: its training set is every entity's feature rows on the last
    ``UNSUPERVISED_DATES`` as-of dates (the latest one is its holdout).
    """
    path = training_set_path(settings, spec.name)
    skipped = skipped_reason_path(settings, spec.name)
    path.unlink(missing_ok=True)  # a stale set from an earlier run must not train this one
    skipped.unlink(missing_ok=True)
    try:
        if spec.label_model is None:
            frame = gateway.training_frame(spec, recent_entity_rows(settings, spec, as_of))
        else:
            labels = load_labels(settings, spec)
            if labels.empty:
                raise NotEnoughData(
                    f"{spec.label_model} has no matured label rows (the history before {as_of}"
                    " is shorter than the label horizon plus one spine step)"
                )
            frame = gateway.training_frame(spec, labels)
        if frame.empty:
            raise NotEnoughData(f"the training set of {spec.name} is empty")
    except NotEnoughData as reason:
        skipped.parent.mkdir(parents=True, exist_ok=True)
        skipped.write_text(str(reason))
        raise
    # Row order is not part of the data: the same rows give the same model on either warehouse.
    frame = frame.sort_values(["as_of_date", spec.entity_column], kind="stable")
    frame = frame.reset_index(drop=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return frame


def skipped_reason_path(settings: Settings, model_name: str) -> Path:
    """Why the last training set of a model could not be built (absent when it was)."""
    return settings.artifacts_dir / "training_sets" / f"{model_name}.skipped.txt"


def recent_entity_rows(settings: Settings, spec: ModelSpec, as_of: date) -> pd.DataFrame:
    """(entity, as_of_date) of the spec's first feature model on its latest as-of dates."""
    table = f"features.{spec.feature_models[0]}"
    frame = read_frame(
        settings,
        f"select {spec.entity_column}, as_of_date from {table} where as_of_date in ("
        f"select distinct as_of_date from {table} where as_of_date <= '{as_of.isoformat()}' "
        f"order by as_of_date desc limit {UNSUPERVISED_DATES})",
    )
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


def label_horizon(frame: pd.DataFrame) -> int | None:
    if "horizon_days" not in frame.columns or frame["horizon_days"].isna().all():
        return None
    return int(frame["horizon_days"].max())


def score_entities(
    spec: ModelSpec,
    model: Any,
    version: str,
    frame: pd.DataFrame,
    *,
    horizon_days: int | None,
    scored_at: datetime,
    run_id: str,
) -> pd.DataFrame:
    """Prediction rows (the ``ml.predictions`` contract) for every row of a scoring frame."""
    scores = model.predict(frame)
    lower, upper = prediction_interval(model, frame)
    labels = model.predict_labels(frame)
    factors = model.top_factors(frame, k=TOP_FACTORS).reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "model_name": spec.name,
            "model_version": version,
            "entity": spec.entity,
            "entity_id": frame[spec.entity_column].astype(str).to_numpy(),
            "as_of_date": pd.to_datetime(frame["as_of_date"]).dt.date.to_numpy(),
            "score": pd.Series(scores, dtype="float64").to_numpy(),
            "score_lower": lower,
            "score_upper": upper,
            "score_label": labels if labels is not None else None,
            "horizon_days": horizon_days,
        }
    )
    for i in range(1, TOP_FACTORS + 1):
        for part in ("name", "contribution"):
            column = f"factor_{i}_{part}"
            rows[column] = factors[column].to_numpy() if column in factors.columns else None
    rows["scored_at"] = scored_at.replace(tzinfo=None)
    rows["run_id"] = run_id
    return rows[PREDICTION_COLUMNS]


def prediction_interval(model: Any, frame: pd.DataFrame) -> tuple[Any, Any]:
    """The model's 80 % interval per row, or missing values for a model without one."""
    interval = getattr(model, "predict_interval", None)
    if interval is None:
        return [None] * len(frame), [None] * len(frame)
    lower, upper = interval(frame)
    return pd.Series(lower, dtype="float64").to_numpy(), pd.Series(
        upper, dtype="float64"
    ).to_numpy()


def score_model(
    settings: Settings,
    spec: ModelSpec,
    gateway: FeatureStoreGateway,
    registry: ModelRegistry,
    *,
    as_of: date,
    run_id: str,
    scored_at: datetime | None = None,
) -> pd.DataFrame:
    """Score every current entity with the champion; keep the scored frame for drift checks.

    Without a champion, or when the champion fails to load or score, the model's rule
    (``ml/baselines/rules.py``) scores the same rows with ``model_version = 'rule:<name>'``, so
    the scored marts and alerts never go empty. Models without a rule raise NotEnoughData.
    """
    from ml.baselines.rules import rule_model

    champion: ModelVersion | None = registry.champion(spec.name)
    frame = gateway.scoring_frame(spec, as_of)
    if frame.empty:
        raise NotEnoughData(f"no {spec.entity} has features at {as_of}")
    stamp = scored_at or datetime.now(UTC)
    snapshot_path = scoring_dir(settings) / f"{spec.name}.parquet"
    failure: Exception | None = None
    if champion is not None:
        try:
            rows = score_entities(
                spec,
                registry.load_model(champion),
                champion.version,
                frame,
                horizon_days=champion.params.get("horizon_days"),
                scored_at=stamp,
                run_id=run_id,
            )
        except Exception as error:  # whatever breaks the model, the rule can still score
            failure = error
            log.warning("%s: champion %s failed to score: %s", spec.name, champion.version, error)
        else:
            snapshot_path.parent.mkdir(parents=True, exist_ok=True)
            frame.assign(score=rows["score"].to_numpy()).to_parquet(snapshot_path, index=False)
            return rows
    fallback = rule_model(spec.name, spec.horizon_var)
    if fallback is None or not fallback.rule.applies(frame):
        if failure is not None:
            raise failure
        raise NotEnoughData(f"{spec.name} has no champion yet")
    log.warning("%s: serving %s instead of a model", spec.name, fallback.rule.version)
    # The drift check compares the champion's features with the last scored frame: a rule's
    # run leaves none, rather than a stale one.
    snapshot_path.unlink(missing_ok=True)
    return score_entities(
        spec,
        fallback,
        fallback.rule.version,
        frame,
        horizon_days=fallback.horizon_days,
        scored_at=stamp,
        run_id=run_id,
    )


def predictions_statements(settings: Settings) -> list[str]:
    """Create ml.predictions when missing, and add the columns an earlier release lacked."""
    double = float_type(settings.target)
    table = f"{ML_SCHEMA}.{PREDICTIONS_TABLE}"
    return [
        predictions_ddl(settings.target),
        *(
            f"alter table {table} add column if not exists {column} {double}"
            for column in ADDED_PREDICTION_COLUMNS
        ),
    ]


def write_predictions(settings: Settings, rows: pd.DataFrame) -> int:
    """Append prediction rows to ``ml.predictions`` (never updates: the table is the audit)."""
    rows = rows.reindex(columns=PREDICTION_COLUMNS)  # a row source without intervals: missing
    return append_frame(
        settings, f"{ML_SCHEMA}.{PREDICTIONS_TABLE}", rows, ddl=predictions_statements(settings)
    )
