"""Monitoring checks in Dagster: the drift check runs on the predictions against a real
registry champion and links its report; the checks and the sensors load beside the job and the
asset they name."""

from datetime import date
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from ml.contracts import MODEL_SPECS
from ml.registry import Candidate, ModelRegistry
from ml.scoring import scored_frame_path
from orchestration.ml import PREDICTIONS_KEY, RETRAINING_JOB
from orchestration.monitoring import build_monitoring_defs
from orchestration.resources import WarehouseResource
from orchestration.sensors import build_sensor_defs
from warehouse import read_frame
from warehouse.settings import Settings

FEATURES = ["recency_days", "orders_90d", "revenue_90d", "top_category"]


def frame(rows: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    recency = rng.exponential(40.0, rows) + shift
    return pd.DataFrame(
        {
            "customer_id": np.arange(rows) + 100_001,
            "recency_days": recency,
            "orders_90d": rng.poisson(3.0, rows),
            "revenue_90d": rng.lognormal(4.0, 1.0, rows),
            "top_category": rng.choice(["home", "toys", "apparel"], rows),
            "score": 1 / (1 + np.exp(-0.05 * (recency - 40.0))),
        }
    )


def register_champion(settings: Settings, reference: pd.DataFrame) -> None:
    candidate = Candidate(
        model_name="customer_churn",
        model={"kind": "stand-in model"},
        features=["customer_id", *FEATURES],
        params={},
        seed=1,
        metrics={"roc_auc": 0.8},
        baseline_metrics={"roc_auc": 0.6},
        baseline_name="base_rate",
        training_window=(date(2026, 1, 1), date(2026, 6, 1)),
        holdout_window=(date(2026, 7, 1), date(2026, 7, 1)),
        data_fingerprint="test",
        plots={},
        reference=reference,
        train_rows=len(reference),
        holdout_rows=0,
    )
    ModelRegistry(settings).register(candidate)


def test_drift_checks_run_on_the_predictions_and_link_the_report(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    register_champion(settings, frame(2_000, seed=1).drop(columns=["customer_id"]))
    scored = scored_frame_path(settings, "customer_churn")
    scored.parent.mkdir(parents=True)
    frame(2_000, seed=2, shift=30.0).to_parquet(scored)

    @dg.asset(key=PREDICTIONS_KEY)
    def predictions() -> None:
        """Stands in for the lead's predictions asset."""

    defs = build_monitoring_defs()
    result = dg.materialize(
        [predictions, *defs.asset_checks],
        resources={"warehouse": WarehouseResource.from_settings(settings)},
        instance=instance,
        selection=[PREDICTIONS_KEY],
    )

    evaluations = {item.check_name: item for item in result.get_asset_check_evaluations()}
    assert set(evaluations) >= {f"{name}_drift" for name in MODEL_SPECS}
    drift = evaluations["customer_churn_drift"]
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.WARN
    report = Path(drift.metadata["report"].value)
    assert report.is_file() and "<html" in report.read_text(encoding="utf-8").lower()
    assert report.parent == settings.artifacts_dir / "drift" / "customer_churn"
    assert "recency_days" in drift.metadata["drifted_columns"].value
    assert evaluations["deal_risk_drift"].passed
    assert "no champion" in evaluations["deal_risk_drift"].metadata["skipped"].value
    performance = evaluations["customer_churn_performance"]
    assert performance.passed and performance.metadata["status"].value == "insufficient_labels"
    stored = read_frame(settings, "select distinct run_id, model_name from ml.drift_results")
    assert stored.to_dict("records") == [{"run_id": result.run_id, "model_name": "customer_churn"}]


def test_definitions_load_beside_the_job_and_asset_they_name() -> None:
    @dg.asset(key=PREDICTIONS_KEY)
    def predictions() -> None:
        """Stands in for the lead's predictions asset."""

    job = dg.define_asset_job(RETRAINING_JOB, selection=[PREDICTIONS_KEY])
    defs = dg.Definitions.merge(
        build_monitoring_defs(),
        build_sensor_defs(),
        dg.Definitions(
            assets=[predictions], jobs=[job], resources={"warehouse": WarehouseResource()}
        ),
    )

    dg.Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    assert repository.get_sensor_def("retraining_sensor").job_name == RETRAINING_JOB
    check_names = {key.name for key in repository.asset_graph.asset_check_keys}
    assert "customer_churn_drift" in check_names and "customer_clv_performance" in check_names
    assert "customer_segments_performance" not in check_names
