"""Batch scoring on Spark: the population never reaches the driver.

The point-in-time features of every current entity are joined by Spark
(``feature_repo.spark_features``), the model scores them inside the executors, one Arrow batch
at a time (``mapInPandas``, the same ``score_entities`` as on the other warehouses, so each row
is what DuckDB or PostgreSQL would write), and the rows are appended to ``ml.predictions``
through Spark. Only the fitted model travels (pickled once into the task closures); the
executors import this project, so a cluster's Python environment must hold it (the same
image or ``spark.submit.pyFiles``).

``ml.predictions`` on Spark is a Parquet table partitioned by ``as_of_date``: a day's scores
are one partition, and reading one day (``ml.scoring.already_scored``, the scored marts)
reads only it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ml.contracts import ML_SCHEMA, PREDICTIONS_TABLE, TOP_FACTORS, ModelSpec
from ml.scoring import PREDICTION_COLUMNS, score_entities, score_rows, scored_frame_path
from ml.training_sets import NotEnoughData
from warehouse.settings import Settings
from warehouse.spark import to_pandas

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from feature_repo.dbt_features import FeatureModel
    from ml.registry import ModelRegistry

log = logging.getLogger(__name__)

PREDICTIONS = f"{ML_SCHEMA}.{PREDICTIONS_TABLE}"

#: Spark types of ``ml.predictions`` (the contract in ml/contracts.py), in column order.
PREDICTION_TYPES: dict[str, str] = {
    "model_name": "string",
    "model_version": "string",
    "entity": "string",
    "entity_id": "string",
    "as_of_date": "date",
    "score": "double",
    "score_lower": "double",
    "score_upper": "double",
    "score_label": "string",
    "horizon_days": "int",
    **{
        f"factor_{i}_{part}": "string" if part == "name" else "double"
        for i in range(1, TOP_FACTORS + 1)
        for part in ("name", "contribution")
    },
    "scored_at": "timestamp",
    "run_id": "string",
}
assert list(PREDICTION_TYPES) == PREDICTION_COLUMNS, "ml.predictions' Spark schema is stale"


def prediction_schema() -> str:
    """The rows ``mapInPandas`` returns, as a Spark DDL schema."""
    return ", ".join(f"{name} {kind}" for name, kind in PREDICTION_TYPES.items())


def ensure_predictions_table(spark: SparkSession) -> None:
    """``ml.predictions`` as Parquet partitioned by ``as_of_date`` (created when missing)."""
    spark.sql(f"create database if not exists {ML_SCHEMA}")
    if spark.catalog.tableExists(PREDICTIONS):
        return
    columns = ", ".join(
        f"{name} {kind}" for name, kind in PREDICTION_TYPES.items() if name != "as_of_date"
    )
    spark.sql(
        f"create table {PREDICTIONS} ({columns}, as_of_date date) using parquet "
        "partitioned by (as_of_date)"
    )


@dataclass(frozen=True)
class SparkScoring:
    """What one model's scoring wrote."""

    model_name: str
    model_version: str
    rows: int


def scored_rows(
    frame: DataFrame,
    spec: ModelSpec,
    model: Any,
    version: str,
    *,
    horizon_days: int | None,
    scored_at: datetime,
    run_id: str,
) -> DataFrame:
    """``frame``'s rows scored in the executors: a lazy frame of ``ml.predictions`` rows."""

    def score(batches: Iterable[pd.DataFrame]) -> Iterable[pd.DataFrame]:
        for batch in batches:
            if len(batch):
                yield score_entities(
                    spec,
                    model,
                    version,
                    batch,
                    horizon_days=horizon_days,
                    scored_at=scored_at,
                    run_id=run_id,
                )

    return frame.mapInPandas(score, prediction_schema())


def write_scored(
    spark: SparkSession,
    frame: DataFrame,
    spec: ModelSpec,
    model: Any,
    version: str,
    *,
    horizon_days: int | None,
    run_id: str,
    scored_at: datetime | None = None,
) -> SparkScoring:
    """Score ``frame`` in the executors and append the rows to ``ml.predictions``."""
    from warehouse.spark import insert_by_name

    ensure_predictions_table(spark)
    stamp = (scored_at or datetime.now(UTC)).replace(tzinfo=None)
    rows = scored_rows(
        frame, spec, model, version, horizon_days=horizon_days, scored_at=stamp, run_id=run_id
    )
    insert_by_name(rows, PREDICTIONS)
    # One prediction per frame row (score_entities): counted on the frame, which the caller
    # caches, rather than on the table, which may hold an earlier attempt of the same run.
    written = frame.count()
    return SparkScoring(spec.name, version, written)


#: Rows of the scored frame kept for the drift checks: a uniform sample, scored on the driver.
DRIFT_SAMPLE_ROWS = 50_000


def keep_drift_sample(frame: DataFrame, total: int, model: Any, path: Path) -> None:
    """What ``ml.scoring.score_model`` keeps for the drift checks (the features and the score
    of the frame the champion scored, ``total`` rows), from a sample of at most
    ``DRIFT_SAMPLE_ROWS`` rows, so a population of millions never reaches the driver whole."""
    fraction = min(1.0, DRIFT_SAMPLE_ROWS / total) if total else 1.0
    sample = frame if fraction >= 1.0 else frame.sample(fraction=fraction, seed=7)
    rows = to_pandas(sample.limit(DRIFT_SAMPLE_ROWS))
    scores = pd.Series(score_rows(model, rows).scores, dtype="float64").to_numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.assign(score=scores).to_parquet(path, index=False)


def rule_applies(frame: DataFrame, required: tuple[str, ...]) -> bool:
    """``Rule.applies`` on Spark: every input column present with at least one value."""
    from pyspark.sql import functions

    if not all(column in frame.columns for column in required):
        return False
    counts = frame.agg(*(functions.count(column).alias(column) for column in required)).first()
    return counts is not None and all(counts[column] > 0 for column in required)


def population_medians(frame: DataFrame, columns: tuple[str, ...]) -> dict[str, float]:
    """``rules.population_medians`` computed by Spark over the whole frame: each column's
    exact median over its positive values (interpolated as pandas does)."""
    from pyspark.sql import functions

    columns = tuple(column for column in columns if column in frame.columns)
    if not columns:
        return {}
    medians = frame.agg(
        *(
            functions.percentile(functions.when(value > 0, value), functions.lit(0.5)).alias(column)
            for column, value in ((c, functions.col(c).cast("double")) for c in columns)
        )
    ).first()
    if medians is None:
        return {}
    return {column: float(medians[column]) for column in columns if medians[column] is not None}


def score_model_on_spark(
    settings: Settings,
    spec: ModelSpec,
    registry: ModelRegistry,
    feature_models: dict[str, FeatureModel],
    *,
    as_of: date,
    run_id: str,
    ttl: timedelta | None,
    scored_at: datetime | None = None,
) -> SparkScoring:
    """``ml.scoring.score_model`` on Spark: the champion scores every current entity, or the
    model's rule when there is no champion or the champion fails (``rule:<name>``)."""
    from feature_repo.spark_features import scoring_frame
    from ml.baselines.rule_models import rule_model
    from warehouse.spark import spark_session

    spark = spark_session(settings)
    frame = scoring_frame(
        spark, [feature_models[name] for name in spec.feature_models], as_of, ttl
    ).cache()
    try:
        if frame.isEmpty():
            raise NotEnoughData(f"no {spec.entity} has features at {as_of}")
        champion = registry.champion(spec.name)
        failure: Exception | None = None
        snapshot_path = scored_frame_path(settings, spec.name)
        if champion is not None:
            try:
                model = registry.load_model(champion)
                written = write_scored(
                    spark,
                    frame,
                    spec,
                    model,
                    champion.version,
                    horizon_days=champion.params.get("horizon_days"),
                    run_id=run_id,
                    scored_at=scored_at,
                )
            except Exception as error:  # whatever breaks the model, the rule can still score
                failure = error
                log.warning(
                    "%s: champion %s failed on Spark: %s", spec.name, champion.version, error
                )
            else:  # the rows are written: the sample never sends the rule to score them again
                keep_drift_sample(frame, written.rows, model, snapshot_path)
                return written
        fallback = rule_model(spec.name, spec.horizon_var)
        if fallback is None or not rule_applies(frame, fallback.rule.required):
            if failure is not None:
                raise failure
            raise NotEnoughData(f"{spec.name} has no champion yet")
        log.warning("%s: serving %s instead of a model", spec.name, fallback.rule.version)
        snapshot_path.unlink(missing_ok=True)  # a rule's run leaves no frame to check for drift
        return write_scored(
            spark,
            frame,
            spec,
            fallback.for_population(population_medians(frame, fallback.rule.medians)),
            fallback.rule.version,
            horizon_days=fallback.horizon_days,
            run_id=run_id,
            scored_at=scored_at,
        )
    finally:
        frame.unpersist()
