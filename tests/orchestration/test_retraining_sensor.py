"""The retraining sensor: planted drift retrains exactly once however often the sensor runs,
unshifted data retrains nothing, a kept champion waits, a performance drop plus feedback give
one run with both causes."""

from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd
import pytest

from ml.monitoring.drift import ColumnDrift, DriftResult
from ml.monitoring.drift_results import write_drift_results
from ml.monitoring.performance import PerformanceResult, write_performance_result
from orchestration.resources import WarehouseResource
from orchestration.sensors import read_cursor, retraining_sensor
from warehouse import adapter_for, read_frame
from warehouse.settings import Settings

FEATURES = ["recency_days", "orders_90d", "revenue_90d", "top_category"]


def plant_drift_results(
    settings: Settings, *, drifted: bool, run_id: str, version: str = "v1"
) -> None:
    """Rows as a drift check stores them: recency (and so the score) moved, or nothing did."""
    distance = 0.45 if drifted else 0.02

    def row(column: str, role: str = "feature") -> ColumnDrift:
        moved = drifted and column in {"recency_days", "score"}
        return ColumnDrift(
            column=column,
            role="score" if role == "score" else "feature",
            column_type="categorical" if column == "top_category" else "numerical",
            stattest="psi" if column == "top_category" else "wasserstein",
            drift_score=distance if moved else 0.01,
            threshold=0.2 if column == "top_category" else 0.1,
            is_drifted=moved,
        )

    columns = [row(column) for column in FEATURES]
    result = DriftResult(
        model_name="customer_churn",
        model_version=version,
        checked_at=datetime.now(UTC).replace(tzinfo=None),
        columns=columns,
        score=row("score", role="score"),
        share_drifted=sum(column.is_drifted for column in columns) / len(columns),
        is_drifted=drifted,
        reference_rows=50_000,
        current_rows=48_000,
        drift_share_threshold=0.3,
    )
    write_drift_results(settings, result, run_id=run_id)


def evaluate(
    settings: Settings, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"warehouse": WarehouseResource.from_settings(settings)},
    )
    result = retraining_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_planted_drift_retrains_exactly_once(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    plant_drift_results(settings, drifted=True, run_id="check-1")

    first = evaluate(settings, instance, cursor=None)
    second = evaluate(settings, instance, cursor=first.cursor)
    plant_drift_results(settings, drifted=True, run_id="check-2")  # a later check, same drift
    third = evaluate(settings, instance, cursor=second.cursor)
    cursor_lost = evaluate(settings, instance, cursor=None)

    requests = [*first.run_requests, *second.run_requests, *third.run_requests]
    assert len(requests) == 1
    request = requests[0]
    assert request.tags["ciw/retrain_models"] == "customer_churn"
    assert request.tags["ciw/retrain_causes"] == "drift"
    assert "check-1" in request.tags["ciw/retrain_reason"]
    assert read_cursor(first.cursor).acted_versions == {"customer_churn": {"drift": "v1"}}
    assert "cool-down" in str(third.skip_reason)
    # Without its cursor the sensor asks again, but for check-2's evidence under a new run key;
    # for the same evidence the key is the same, so Dagster launches it once.
    assert cursor_lost.run_requests[0].run_key != request.run_key
    assert "check-2" in cursor_lost.run_requests[0].tags["ciw/retrain_reason"]


def test_drift_of_a_kept_champion_waits_for_a_new_one(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_MONITOR_COOLDOWN_DAYS", "0")
    plant_drift_results(settings, drifted=True, run_id="check-1", version="v1")
    first = evaluate(settings, instance, cursor=None)
    # The retraining kept v1 (the new model was not better); v1 still drifts.
    plant_drift_results(settings, drifted=True, run_id="check-2", version="v1")
    same_champion = evaluate(settings, instance, cursor=first.cursor)
    plant_drift_results(settings, drifted=True, run_id="check-3", version="v2")
    new_champion = evaluate(settings, instance, cursor=same_champion.cursor)

    assert len(first.run_requests) == 1
    assert same_champion.run_requests == []
    assert len(new_champion.run_requests) == 1
    assert "check-3" in new_champion.run_requests[0].tags["ciw/retrain_reason"]


def test_unshifted_data_retrains_nothing(settings: Settings, instance: dg.DagsterInstance) -> None:
    plant_drift_results(settings, drifted=False, run_id="check-1")
    stored = read_frame(settings, "select count(*) as n from ml.drift_results")
    assert stored["n"][0] == len(FEATURES) + 1

    result = evaluate(settings, instance, cursor=None)

    assert result.run_requests == []
    assert "no drift, performance drop or new feedback" in str(result.skip_reason)


def test_a_performance_drop_and_enough_feedback_retrain_once(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_MONITOR_FEEDBACK_ROWS", "3")
    degraded = PerformanceResult(
        model_name="deal_risk",
        model_version="v3",
        metric_name="roc_auc",
        reference_value=0.81,
        current_value=0.64,
        tolerance=0.05,
        matured_rows=900,
        as_of_start=date(2026, 7, 1),
        as_of_end=date(2026, 8, 1),
        status="degraded",
        checked_at=pd.Timestamp("2026-11-21 06:00").to_pydatetime(),
    )
    write_performance_result(settings, degraded, run_id="perf-1")
    with adapter_for(settings).session() as session:
        session.execute("create schema ops")
        session.execute(
            "create table ops.alert_feedback as select 'f' || i as feedback_id, 'a1' as alert_id,"
            " timestamp '2026-11-20 10:00:00' as recorded_at, 'inaccurate' as alert_accuracy "
            "from range(4) as t(i)"
        )
        session.execute("create schema marts")
        # A churn alert on an account: its feedback judges the account churn model only.
        session.execute(
            "create table marts.alerts as select 'a1' as alert_id, 'churn_risk' as alert_type,"
            " 'account_churn' as model_name"
        )

    first = evaluate(settings, instance, cursor=None)
    second = evaluate(settings, instance, cursor=first.cursor)

    assert len(first.run_requests) == 1 and second.run_requests == []
    tags = first.run_requests[0].tags
    assert tags["ciw/retrain_models"] == "account_churn,deal_risk"
    assert tags["ciw/retrain_causes"] == "feedback,performance"
    assert "roc_auc 0.6400 vs 0.8100" in tags["ciw/retrain_reason"]
