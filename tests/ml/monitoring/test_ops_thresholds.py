"""Each ops threshold of the copilot design fires just above its limit and stays quiet just below.

Pure checks on small frames; the warehouse and the ops channel are in test_ops_alerts.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from ml.monitoring.ops_thresholds import (
    OpsThresholds,
    RunSummary,
    data_quality_breaches,
    latency_breaches,
    model_breaches,
    pipeline_breaches,
)
from ml.monitoring.settings import MonitoringError

NOW = datetime(2026, 12, 4, 12, 0)
LIMITS = OpsThresholds()


def _run(run_id: str, status: str, at: datetime) -> RunSummary:
    """A daily pipeline run that started and ended at ``at``."""
    return RunSummary(run_id, "daily_pipeline", status, at, at)


def _runs(failed: int, succeeded: int, *, last_success: datetime | None = None) -> list[RunSummary]:
    runs = [_run(f"f{i}", "failure", NOW - timedelta(days=1, hours=i)) for i in range(failed)]
    runs += [_run(f"s{i}", "success", NOW - timedelta(days=2, hours=i)) for i in range(succeeded)]
    if last_success is not None:
        runs.append(_run("today", "success", last_success))
    return runs


def _metrics(breaches: list) -> list[str]:  # type: ignore[type-arg]
    return [breach.metric for breach in breaches]


def test_pipeline_failure_rate_over_five_percent_fires() -> None:
    today = NOW.replace(hour=7)
    fired = pipeline_breaches(_runs(1, 18, last_success=today), NOW, LIMITS)  # 1/20 = 5%
    assert fired == []
    fired = pipeline_breaches(_runs(2, 17, last_success=today), NOW, LIMITS)  # 2/20 = 10%
    assert _metrics(fired) == ["pipeline_failure_rate"]
    assert fired[0].value == pytest.approx(0.10)
    assert fired[0].key == "pipeline_failure_rate:f0"
    assert "2 of 20 runs failed" in fired[0].text


def test_runs_outside_the_window_or_of_other_jobs_do_not_count() -> None:
    old = [
        RunSummary(
            "old", "daily_pipeline", "failure", NOW - timedelta(days=30), NOW - timedelta(days=30)
        )
    ]
    report = [RunSummary("r", "weekly_executive_report", "failure", NOW, NOW)]
    today = [
        RunSummary(
            "t",
            "daily_pipeline",
            "success",
            NOW.replace(hour=6, minute=30),
            NOW.replace(hour=6, minute=30),
        )
    ]
    assert pipeline_breaches(old + report + today, NOW, LIMITS) == []


def test_pipeline_delay_over_two_hours_fires_once_per_due_day() -> None:
    yesterday = _runs(0, 3)
    at_0759 = NOW.replace(hour=7, minute=59)
    assert pipeline_breaches(yesterday, at_0759, LIMITS) == []  # 1 h 59 after 06:00
    at_0801 = NOW.replace(hour=8, minute=1)
    fired = pipeline_breaches(yesterday, at_0801, LIMITS)
    assert _metrics(fired) == ["pipeline_delay"]
    assert fired[0].key == "pipeline_delay:2026-12-04"
    # Before 06:00 the run due is yesterday's, which succeeded late but did succeed.
    early = NOW.replace(hour=5)
    done = [
        RunSummary(
            "y",
            "full_pipeline",
            "success",
            early - timedelta(hours=20),
            early - timedelta(hours=19),
        )
    ]
    assert pipeline_breaches(done, early, LIMITS) == []


def _performance(auc: float, model: str = "account_churn") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run_id": "p0",
                "model_name": model,
                "model_version": "v1",
                "checked_at": NOW - timedelta(days=7),
                "metric_name": "roc_auc",
                "current_value": 0.5,
                "matured_rows": 400,
            },
            {
                "run_id": "p1",
                "model_name": model,
                "model_version": "v1",
                "checked_at": NOW,
                "metric_name": "roc_auc",
                "current_value": auc,
                "matured_rows": 400,
            },
            {
                "run_id": "p2",
                "model_name": "customer_clv",
                "model_version": "v3",
                "checked_at": NOW,
                "metric_name": "mae",
                "current_value": 12.0,
                "matured_rows": 400,
            },
        ]
    )


def _drift(drifted: int, features: int = 20) -> pd.DataFrame:
    rows = [
        {
            "run_id": "d1",
            "model_name": "deal_risk",
            "model_version": "v2",
            "checked_at": NOW,
            "column_name": f"feature_{i:02d}",
            "column_role": "feature",
            "is_drifted": i < drifted,
        }
        for i in range(features)
    ]
    rows.append(
        {
            "run_id": "d1",
            "model_name": "deal_risk",
            "model_version": "v2",
            "checked_at": NOW,
            "column_name": "score",
            "column_role": "score",
            "is_drifted": True,
        }
    )
    return pd.DataFrame(rows)


def test_model_accuracy_under_eighty_percent_fires_on_the_newest_check_only() -> None:
    assert model_breaches(_performance(0.80), _drift(0), LIMITS) == []
    fired = model_breaches(_performance(0.79), _drift(0), LIMITS)
    assert _metrics(fired) == ["model_accuracy"]
    assert fired[0].subject == "account_churn v1"
    assert fired[0].key == "model_accuracy:account_churn:v1"


def test_drift_over_ten_percent_of_features_fires() -> None:
    assert model_breaches(_performance(0.9), _drift(2), LIMITS) == []  # 2/20 = 10%
    fired = model_breaches(_performance(0.9), _drift(3), LIMITS)  # 15%
    assert _metrics(fired) == ["model_drift"]
    assert fired[0].value == pytest.approx(0.15)
    assert "feature_00, feature_01, feature_02" in fired[0].text


def _requests(slow_share: float, count: int = 100, ms: float = 800.0) -> pd.DataFrame:
    slow = int(count * slow_share)
    return pd.DataFrame(
        {
            "requested_at": [NOW - timedelta(minutes=i % 50) for i in range(count)],
            "method": "GET",
            "route": ["/accounts/{id}" if i < slow else "/alerts" for i in range(count)],
            "status_code": 200,
            "duration_ms": [ms if i < slow else 40.0 for i in range(count)],
        }
    )


def test_api_latency_p95_over_500_ms_fires() -> None:
    assert latency_breaches(_requests(0.04), NOW, LIMITS) == []  # p95 is a fast request
    fired = latency_breaches(_requests(0.10), NOW, LIMITS)
    assert _metrics(fired) == ["api_latency"]
    assert fired[0].key == "api_latency:2026-12-04T12"
    assert "/accounts/{id} 800 ms" in fired[0].text
    old = _requests(0.5).assign(requested_at=NOW - timedelta(hours=3))
    assert latency_breaches(old, NOW, LIMITS) == [], "outside the window"
    assert latency_breaches(_requests(1.0, count=5), NOW, LIMITS) == [], "too few requests"


def test_data_quality_under_95_percent_fires_on_the_newest_load() -> None:
    metrics = pd.DataFrame(
        [
            {
                "table_key": "crm.accounts",
                "load_date": "2026-12-01",
                "completeness_pct": 80.0,
                "validity_pct": 99.0,
            },
            {
                "table_key": "crm.accounts",
                "load_date": "2026-12-04",
                "completeness_pct": 95.0,
                "validity_pct": 99.0,
            },
            {
                "table_key": "support.tickets",
                "load_date": "2026-12-04",
                "completeness_pct": 99.0,
                "validity_pct": 94.9,
            },
        ]
    )
    fired = data_quality_breaches(metrics, LIMITS)
    assert _metrics(fired) == ["data_quality"]
    assert fired[0].subject == "support.tickets load of 2026-12-04"
    assert "validity 94.9%" in fired[0].text
    assert data_quality_breaches(metrics.iloc[:2], LIMITS) == []


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_OPS_API_LATENCY_MS", "250")
    monkeypatch.setenv("CIW_OPS_PIPELINE_WINDOW_DAYS", "3")
    limits = OpsThresholds.from_env()
    assert limits.api_latency_ms == 250.0 and limits.pipeline_window_days == 3
    assert limits.model_accuracy_min == 0.80
    monkeypatch.setenv("CIW_OPS_DRIFT_SHARE_MAX", "ten")
    with pytest.raises(MonitoringError, match="CIW_OPS_DRIFT_SHARE_MAX must be a float"):
        OpsThresholds.from_env()


def test_drift_of_one_champion_keeps_its_key_across_checks_and_a_new_one_gets_its_own() -> None:
    first = model_breaches(_performance(0.9), _drift(5), LIMITS)
    next_day = _drift(6).assign(run_id="d2", checked_at=NOW + timedelta(days=1))
    second = model_breaches(_performance(0.9), pd.concat([_drift(5), next_day]), LIMITS)
    assert [breach.key for breach in first] == [breach.key for breach in second]
    assert second[0].value == pytest.approx(0.30), "the newest check is judged"
    retrained = next_day.assign(model_version="v3")
    third = model_breaches(_performance(0.9), retrained, LIMITS)
    assert third[0].key == "model_drift:deal_risk:v3" != first[0].key
