"""Retraining signals (drift, performance, feedback) and the plan with its cool-down."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from ml.contracts import MODEL_SPECS
from ml.monitoring.drift import ColumnDrift, DriftResult
from ml.monitoring.drift_results import write_drift_results
from ml.monitoring.performance import evaluate_performance, write_performance_result
from ml.monitoring.retraining import (
    RetrainingSignal,
    feedback_signals,
    latest_drift_signals,
    latest_performance_signals,
    plan_retraining,
)
from ml.monitoring.settings import MonitoringSettings
from tests.ml.monitoring.scored_rows import churn_rows
from warehouse.settings import Settings

CHURN = MODEL_SPECS["customer_churn"]


def test_enough_feedback_on_the_alerts_a_model_raised_is_a_signal() -> None:
    """Feedback counts for the model of its alert (marts.alerts.model_name): churn alerts on
    shop customers judge customer_churn, those on accounts account_churn."""
    now = datetime(2026, 11, 22, 6)
    feedback = pd.DataFrame(
        {
            "alert_type": ["churn_risk"] * 6
            + ["usage_decline", "high_risk_deal", "cart_abandonment"],
            "model_name": ["customer_churn"] * 4 + ["account_churn"] * 3 + ["deal_risk", None],
            "recorded_at": pd.to_datetime(
                [
                    *("2026-11-01", "2026-11-02", "2026-11-20", "2026-11-21"),
                    *("2026-11-01", "2026-11-21", "2026-11-21", "2026-11-21", "2026-11-21"),
                ]
            ),
        }
    )
    since = {"customer_churn": datetime(2026, 11, 10)}

    signals = feedback_signals(feedback, since, threshold=2, now=now)

    assert [(s.model_name, s.cause) for s in signals] == [
        ("customer_churn", "feedback"),
        ("account_churn", "feedback"),
    ]
    assert signals[0].detail == "2 new feedback rows on churn_risk"
    assert signals[1].detail == "3 new feedback rows on churn_risk, usage_decline"


def test_plan_retraining_honours_evidence_age_and_cool_down() -> None:
    now = datetime(2026, 11, 22, 6)
    cooldown = timedelta(days=7)
    drift = RetrainingSignal("customer_churn", "drift", now - timedelta(hours=1), "drifted")
    perf = RetrainingSignal("deal_risk", "performance", now - timedelta(hours=2), "worse")
    unknown = RetrainingSignal("no_such_model", "drift", now, "?")

    first = plan_retraining([drift, perf, unknown], {}, now=now, cooldown=cooldown)
    same_evidence = plan_retraining(
        [drift], {"customer_churn": {"drift": now}}, now=now + timedelta(days=8), cooldown=cooldown
    )
    new_evidence_in_cool_down = plan_retraining(
        [drift],
        {"customer_churn": {"drift": now - timedelta(days=2)}},
        now=now,
        cooldown=cooldown,
    )
    after_cool_down = plan_retraining(
        [drift],
        {"customer_churn": {"drift": now - timedelta(days=8), "performance": now}},
        now=now,
        cooldown=cooldown,
    )

    kept_champion = plan_retraining(
        [RetrainingSignal("customer_churn", "drift", now, "drifted", "check-9", "v1")],
        {"customer_churn": {"drift": now - timedelta(days=30)}},
        now=now,
        cooldown=cooldown,
        acted_versions={"customer_churn": {"drift": "v1"}},
    )

    assert first == [drift, perf]
    assert kept_champion == []
    assert same_evidence == []
    assert new_evidence_in_cool_down == []
    assert after_cool_down == [drift]


def test_only_the_newest_flagged_checks_are_signals(warehouse_settings: Settings) -> None:
    def drift(model: str, drifted: bool, at: datetime) -> DriftResult:
        score = ColumnDrift("score", "score", "numerical", "wasserstein", 0.3, 0.1, drifted)
        return DriftResult(model, "v1", at, [], score, 0.0, drifted, 10, 10, 0.3)

    day = datetime(2026, 11, 20, 6)
    write_drift_results(warehouse_settings, drift("customer_churn", True, day), "c1")
    write_drift_results(
        warehouse_settings, drift("customer_churn", False, day.replace(day=21)), "c2"
    )
    write_drift_results(warehouse_settings, drift("deal_risk", True, day.replace(day=21)), "d1")
    degraded = evaluate_performance(
        CHURN,
        churn_rows(300, seed=9, noise=3.0, as_of=date(2026, 8, 1)),
        model_version="v1",
        reference_value=0.99,
        settings=MonitoringSettings(min_matured_rows=100),
        checked_at=day,
    )
    write_performance_result(warehouse_settings, degraded, run_id="p1")

    drift_signals = latest_drift_signals(warehouse_settings)
    performance_signals = latest_performance_signals(warehouse_settings)

    assert [(s.model_name, s.evidence_id, s.model_version) for s in drift_signals] == [
        ("deal_risk", "d1", "v1")
    ]
    assert [(s.model_name, s.cause, s.evidence_id) for s in performance_signals] == [
        ("customer_churn", "performance", "p1")
    ]
    assert performance_signals[0].observed_at == day
