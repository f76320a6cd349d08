"""Batch scoring: every champion scores every current entity; rows go to ``ml.predictions``.

Without a champion (or when it fails) the model's rule stands in, so the scored marts never go
empty. Predictions are appended, never updated: the table is the audit of what was scored.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ml.contracts import (
    ML_SCHEMA,
    PREDICTIONS_TABLE,
    TOP_FACTORS,
    ModelSpec,
    predictions_ddl,
)
from ml.models.base import ScoredRows
from ml.training_sets import NotEnoughData
from warehouse import append_frame, read_frame, table_exists
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


def scoring_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / "scoring"


#: One run's scoring frames by feature views and as-of date (see ``score_model``).
ScoringFrames = dict[tuple[tuple[str, ...], date], pd.DataFrame]


def scored_frame_path(settings: Settings, model_name: str) -> Path:
    """The latest frame a champion scored (features + score), which drift checks compare."""
    return scoring_dir(settings) / f"{model_name}.parquet"


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
    scored = score_rows(model, frame)
    scores, factors = scored.scores, scored.factors.reset_index(drop=True)
    lower, upper = scored.lower, scored.upper
    if lower is not None:
        lower, upper = contain_score(lower, upper, scores)
    labels = model.predict_labels(frame)
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


def score_rows(model: Any, frame: pd.DataFrame) -> ScoredRows:
    """Scores, intervals (None for a model without them) and top factors: in one pass for a
    model that offers it (LightGBM's SHAP values add up to its scores), else call by call."""
    one_pass = getattr(model, "score_rows", None)
    if one_pass is not None:
        return cast(ScoredRows, one_pass(frame, k=TOP_FACTORS))
    interval = getattr(model, "predict_interval", None)
    lower, upper = interval(frame) if interval is not None else (None, None)
    return ScoredRows(model.predict(frame), lower, upper, model.top_factors(frame, k=TOP_FACTORS))


def contain_score(lower: Any, upper: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """``[lower, upper]`` moved out where needed to hold each score (missing ends stay so).

    A supervised model's interval is its calibration bin's (``ml.models.intervals``) and a
    BTYD interval is a posterior's quantiles: either can miss the point estimate (a raw
    probability above its bin's observed rate, a mean outside a skewed posterior's 10th-90th
    percentiles). An interval that excludes the number it qualifies reads as an error.
    """
    point = pd.Series(scores, dtype="float64").to_numpy()
    low = pd.Series(lower, dtype="float64").to_numpy()
    high = pd.Series(upper, dtype="float64").to_numpy()
    with np.errstate(invalid="ignore"):
        low = np.where(np.isnan(low) | np.isnan(point), low, np.minimum(low, point))
        high = np.where(np.isnan(high) | np.isnan(point), high, np.maximum(high, point))
    return low, high


def score_model(
    settings: Settings,
    spec: ModelSpec,
    gateway: FeatureStoreGateway,
    registry: ModelRegistry,
    *,
    as_of: date,
    run_id: str,
    scored_at: datetime | None = None,
    skip_scored: bool = False,
    frames: ScoringFrames | None = None,
) -> pd.DataFrame:
    """Score every current entity with the champion; keep the scored frame for drift checks.

    ``frames`` keeps the scoring frames of one run by feature views and date, so models over
    the same views (customer churn and CLV) read their point-in-time features once; the
    frames are shared, never changed.

    With ``skip_scored`` (the daily run) a champion that already scored ``as_of`` scores
    nothing: the result is empty and ``ml.predictions`` keeps the earlier rows (a rerun or
    backfill of a scored day costs nothing; a new champion scores the day again).

    Without a champion, or when the champion fails to load or score, the model's rule
    (``ml/baselines/rules.py``) scores the same rows with ``model_version = 'rule:<name>'``, so
    the scored marts and alerts never go empty. Models without a rule raise NotEnoughData.
    """
    from ml.baselines.rule_models import rule_model

    champion: ModelVersion | None = registry.champion(spec.name)
    if (
        skip_scored
        and champion is not None
        and already_scored(settings, spec.name, champion.version, as_of)
    ):
        log.info("%s: %s already scored %s", spec.name, champion.version, as_of)
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    key = (tuple(spec.feature_models), as_of)
    frame = frames.get(key) if frames is not None else None
    if frame is None:
        frame = gateway.scoring_frame(spec, as_of)
        if frames is not None:
            frames[key] = frame
    if frame.empty:
        raise NotEnoughData(f"no {spec.entity} has features at {as_of}")
    stamp = scored_at or datetime.now(UTC)
    snapshot_path = scored_frame_path(settings, spec.name)
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


def already_scored(settings: Settings, model_name: str, version: str, as_of: date) -> bool:
    """Whether ``ml.predictions`` holds rows of this model version for this as-of date."""
    table = f"{ML_SCHEMA}.{PREDICTIONS_TABLE}"
    if not table_exists(settings, table):
        return False
    found = read_frame(
        settings,
        f"select count(*) as n from {table} "
        "where model_name = %s and model_version = %s and as_of_date = %s",
        (model_name, version, as_of),
    )
    return bool(found["n"].iloc[0])


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
