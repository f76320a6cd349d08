"""Scoring on Spark: the point-in-time frames Spark joins equal Feast's on DuckDB, and the rows
the executors score (``mapInPandas``) and Spark appends to ``ml.predictions`` equal the rows
DuckDB's path scores, for a champion, without one (the rule) and when the champion fails.
And the build's pipeline run (`ciw run`, training included) scored every model alike on
both.

Both warehouses are the build of ``conftest.both_warehouses``: the same exports, the whole
pipeline on each. These cases register their champions in a registry of their own on a DuckDB
file (the registry on Spark has its tests in test_spark_registry.py); the features, the
scoring and the predictions are Spark's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS
from tests.ml.registry_candidates import make_candidate, png_bytes, training_frame
from tests.spark.warehouses import (
    AS_OF,
    MODEL_OUTPUT_TOLERANCE,
    assert_same_features,
    collected,
    row_differences,
    sorted_by,
)
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

SCORED_ON = dt.date.fromisoformat(AS_OF)
STAMP = dt.datetime(2026, 10, 1, 6, 0)
CHURN = MODEL_SPECS["customer_churn"]


@pytest.fixture(scope="module")
def sides(both_warehouses: dict[str, Any]) -> dict[str, Any]:
    """Feast synced on the DuckDB build, and the Spark build's settings."""
    from feature_repo.store import FeatureStoreGateway

    duck: Settings = both_warehouses["settings"]["duckdb"]
    gateway = FeatureStoreGateway(duck)
    gateway.sync()
    return {
        "gateway": gateway,
        "spark_settings": both_warehouses["settings"]["spark"],
        "duck": duck,
    }


def _spark(sides: dict[str, Any]) -> Any:
    """The test process's Spark session (again: the scored marts' dbt run stops it)."""
    from warehouse.spark import spark_session

    return spark_session(sides["spark_settings"])


def test_spark_scoring_frames_equal_feasts_for_every_model(sides: dict[str, Any]) -> None:
    from feature_repo.spark_features import scoring_frame

    gateway, spark = sides["gateway"], _spark(sides)
    for spec in MODEL_SPECS.values():
        want = gateway.scoring_frame(spec, SCORED_ON)
        models = [gateway.models[name] for name in spec.feature_models]
        got = collected(scoring_frame(spark, models, SCORED_ON, gateway.options.ttl))
        assert len(want) > 0, spec.name
        assert_same_features(want, got, [spec.entity_column])


def test_point_in_time_rows_at_other_dates_equal_feasts(sides: dict[str, Any]) -> None:
    """Entity rows between spine dates, past the TTL and before any feature row: the latest
    row on or before each date within the TTL, else missing, as Feast joins them."""
    from feature_repo.spark_features import AS_OF as AS_OF_COLUMN
    from feature_repo.spark_features import point_in_time_frame

    gateway, spark = sides["gateway"], _spark(sides)
    customers = gateway.scoring_frame(CHURN, SCORED_ON)[CHURN.entity_column].head(40)
    dates = [
        SCORED_ON,
        SCORED_ON - dt.timedelta(days=3),  # between spine dates: the earlier date's row
        SCORED_ON - dt.timedelta(days=45),  # rows older than the TTL do not count
        dt.date(2020, 1, 1),  # before any feature row: every feature missing
    ]
    entity_rows = pd.DataFrame(
        [(customer, day) for customer in customers for day in dates],
        columns=[CHURN.entity_column, AS_OF_COLUMN],
    )
    want = gateway.training_frame(CHURN, entity_rows)
    models = [gateway.models[name] for name in CHURN.feature_models]
    got = collected(
        point_in_time_frame(spark, spark.createDataFrame(entity_rows), models, gateway.options.ttl)
    )
    assert_same_features(want, got, [CHURN.entity_column, AS_OF_COLUMN])
    features = gateway.feature_names(CHURN)
    oldest = got[got[AS_OF_COLUMN] == dt.date(2020, 1, 1)]
    assert len(oldest) == len(customers) and oldest[features].isna().all().all()
    assert got[got[AS_OF_COLUMN] == dates[1]]["recency_days"].notna().any()


def _fitted_churn_model(frame: pd.DataFrame) -> Any:
    from ml.models.features import plan_features
    from ml.models.gbm import fit_gbm

    target = (frame["recency_days"].fillna(0) > frame["recency_days"].median()).to_numpy()
    return fit_gbm(
        CHURN.name,
        "classifier",
        plan_features(frame, CHURN),
        frame,
        target.astype(float),
        frame,
        target.astype(float),
        seed=3,
        params={"num_boost_round": 30, "early_stopping_rounds": 30},
    )


def _registry(tmp: Path, champion: Any | None) -> Any:
    """A registry of its own (on a DuckDB file), with ``champion`` registered when given."""
    from ml.registry import ModelRegistry, data_fingerprint

    registry = ModelRegistry(Settings(target="duckdb", duckdb_path=tmp / "registry.duckdb"))
    if champion is not None:
        model, frame = champion
        candidate = make_candidate(training_frame(), png_bytes())
        if frame is not None:
            candidate = replace(
                candidate,
                model=model,
                features=list(model.feature_names),
                data_fingerprint=data_fingerprint(frame),
                reference=frame.head(50).assign(score=0.5),
            )
        registry.register(candidate)
    return registry


def _spark_rows(spark: Any, run_id: str) -> pd.DataFrame:
    from ml.spark_scoring import PREDICTIONS

    return collected(spark.table(PREDICTIONS).where(f"run_id = '{run_id}'"))


def _assert_same_predictions(want: pd.DataFrame, got: pd.DataFrame) -> None:
    got = sorted_by(got[list(want.columns)], ["entity_id"])
    want = sorted_by(want, ["entity_id"])
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", ["champion", "no champion", "failing champion"])
def test_spark_scores_equal_the_duckdb_path(
    sides: dict[str, Any], tmp_path: Path, case: str
) -> None:
    from ml.baselines.rule_models import rule_model
    from ml.scoring import score_entities
    from ml.spark_scoring import score_model_on_spark

    gateway, spark = sides["gateway"], _spark(sides)
    frame = gateway.scoring_frame(CHURN, SCORED_ON)
    model = _fitted_churn_model(frame)
    champion = {
        "champion": (model, frame),
        "no champion": None,
        "failing champion": (None, None),  # a scikit-learn model: it cannot score this frame
    }[case]
    registry = _registry(tmp_path, champion)
    run_id = f"spark-scoring-{case.replace(' ', '-')}"
    written = score_model_on_spark(
        sides["spark_settings"],
        CHURN,
        registry,
        gateway.models,
        as_of=SCORED_ON,
        run_id=run_id,
        ttl=gateway.options.ttl,
        scored_at=STAMP,
    )
    got = _spark_rows(spark, run_id)
    if case == "champion":
        version = registry.champion(CHURN.name).version
        expected_model, horizon = model, None
    else:
        fallback = rule_model(CHURN.name, CHURN.horizon_var)
        assert fallback is not None
        version, expected_model, horizon = fallback.rule.version, fallback, fallback.horizon_days
    want = score_entities(
        CHURN, expected_model, version, frame, horizon_days=horizon, scored_at=STAMP, run_id=run_id
    )
    if case == "failing champion":  # Spark's stacks of the failed tasks: in its log file
        log = sides["spark_settings"].spark_log_path.read_text(encoding="utf-8")
        assert "feature names should match" in log
    assert written.model_version == version and written.rows == len(frame)
    assert set(got["model_version"]) == {version}
    _assert_same_predictions(want, got)
    assert np.isfinite(got["score"]).all()


#: The relations that read ``ml.predictions``, directly or through ``int_predictions_latest``,
#: filled by the pipeline run of the build (compared with the rest in test_spark_layers).
SCORED_RELATIONS = (
    "intermediate.int_predictions_latest",
    "marts.customer_risk_scores",
    "marts.account_risk_scores",
    "marts.deal_risk_scores",
    "marts.lead_conversion_scores",
)


def test_the_pipeline_scores_every_model_alike_on_both(both_warehouses: dict[str, Any]) -> None:
    """The build's pipeline run trained and scored on each warehouse: every model scored the
    same entities with the same kind of scorer (a trained model, or its rule) and the same
    scores (to a ten-thousandth: see MODEL_OUTPUTS), and the marts that read them are filled."""
    duck = both_warehouses["duckdb"]["ml.predictions"]
    spark = both_warehouses["spark"]["ml.predictions"]
    assert set(duck["model_name"]) == set(MODEL_SPECS)
    assert row_differences(duck, spark, relative=MODEL_OUTPUT_TOLERANCE) == []
    for relation in SCORED_RELATIONS:
        assert len(both_warehouses["spark"][relation]) > 0, f"{relation} is empty"
