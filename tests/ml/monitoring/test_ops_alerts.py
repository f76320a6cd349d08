"""Ops thresholds end to end: metrics planted in a real warehouse (DuckDB and PostgreSQL), each
breach reported to the ops channel of the Slack stand-in through the notifier, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pandas as pd
import pytest

from ml.contracts import DRIFT_TABLE, ML_SCHEMA, PERFORMANCE_TABLE
from ml.monitoring.drift_results import drift_table_ddl
from ml.monitoring.ops_metrics import (
    OPS_ALERTS_TABLE,
    check_and_report,
    record_api_requests,
)
from ml.monitoring.ops_thresholds import RunSummary
from ml.monitoring.performance import performance_table_ddl
from notifier.ops import send_ops_message
from tests.ml.monitoring.quality_rows import write_quality_row
from tests.notifier.conftest import bot_config
from tests.notifier.slack_standin import SlackStandIn
from warehouse import append_frame, read_frame
from warehouse.settings import Settings

NOW = datetime(2026, 12, 4, 9, 30)


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    try:
        yield server
    finally:
        server.stop()


def _plant(settings: Settings, *, bad: bool) -> list[RunSummary]:
    """Metrics either just past every threshold (``bad``) or just inside every one."""
    auc, drifted, slow_share, completeness = (0.72, 4, 0.2, 90.0) if bad else (0.85, 2, 0.0, 99.0)
    append_frame(
        settings,
        f"{ML_SCHEMA}.{PERFORMANCE_TABLE}",
        pd.DataFrame(
            [
                {
                    "run_id": "perf-1",
                    "model_name": "account_churn",
                    "model_version": "v4",
                    "checked_at": NOW - timedelta(hours=1),
                    "metric_name": "roc_auc",
                    "reference_value": 0.86,
                    "current_value": auc,
                    "tolerance": 0.05,
                    "matured_rows": 350,
                    "as_of_start": None,
                    "as_of_end": None,
                    "status": "ok",
                    "is_degraded": False,
                }
            ]
        ),
        ddl=[performance_table_ddl(settings.target)],
    )
    append_frame(
        settings,
        f"{ML_SCHEMA}.{DRIFT_TABLE}",
        pd.DataFrame(
            [
                {
                    "run_id": "drift-1",
                    "model_name": "account_churn",
                    "model_version": "v4",
                    "checked_at": NOW - timedelta(hours=1),
                    "column_name": f"feature_{i}",
                    "column_role": "feature",
                    "column_type": "num",
                    "stattest": "wasserstein",
                    "drift_score": 0.2 if i < drifted else 0.01,
                    "threshold": 0.1,
                    "is_drifted": i < drifted,
                    "share_drifted": drifted / 20,
                    "dataset_drifted": False,
                    "reference_rows": 100,
                    "current_rows": 100,
                    "report_path": None,
                }
                for i in range(20)
            ]
        ),
        ddl=[drift_table_ddl(settings.target)],
    )
    record_api_requests(
        settings,
        pd.DataFrame(
            {
                "requested_at": [NOW - timedelta(minutes=i % 40) for i in range(60)],
                "method": "GET",
                "route": [
                    "/accounts/{id}/health" if i < 60 * slow_share else "/alerts" for i in range(60)
                ],
                "status_code": 200,
                "duration_ms": [900.0 if i < 60 * slow_share else 35.0 for i in range(60)],
            }
        ),
    )
    write_quality_row(settings, "marketing.email_events", NOW.date(), completeness, 99.5)
    today = NOW.replace(hour=6, minute=40)
    runs = [
        RunSummary(
            f"ok-{i}",
            "daily_pipeline",
            "success",
            today - timedelta(days=i + 1),
            today - timedelta(days=i + 1),
        )
        for i in range(6)
    ]
    # Bad: one failure in the week's seven runs (14 %), nothing succeeded since 06:00 (3.5 h late).
    if bad:
        return [*runs, RunSummary("boom", "daily_pipeline", "failure", today, today)]
    return [*runs, RunSummary("today", "daily_pipeline", "success", today, today)]


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_each_breach_reaches_the_ops_channel_once(
    target: str,
    slack_standin: SlackStandIn,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings: Settings = request.getfixturevalue(f"{target}_settings")
    monkeypatch.setenv("CIW_OPS_CHANNEL", "#data-oncall")
    config = bot_config(slack_standin)

    def send(settings: Settings, text: str, key: str) -> str:
        return send_ops_message(settings, text, key=key, config=config)

    runs = _plant(settings, bad=True)
    found, sent = check_and_report(settings, runs, now=NOW, send=send)

    expected = {
        "pipeline_failure_rate",
        "pipeline_delay",
        "model_accuracy",
        "model_drift",
        "api_latency",
        "data_quality",
    }
    assert {breach.metric for breach in found} == expected
    assert {breach.metric for breach, _ in sent} == expected
    assert [message["channel"] for message in slack_standin.messages] == ["#data-oncall"] * 6
    texts = "\n".join(message["text"] for message in slack_standin.messages)
    for fragment in (
        "1 of 7 runs failed",
        "3.5 h after it was due",
        "ROC-AUC 0.720",
        "4 of 20 features drifted",
        "/accounts/{id}/health 900 ms",
        "completeness 90.0%",
    ):
        assert fragment in texts

    again, resent = check_and_report(settings, runs, now=NOW + timedelta(minutes=15), send=send)
    assert len(again) == 6 and resent == [], "the same evidence is reported once"
    assert len(slack_standin.messages) == 6
    logged = read_frame(settings, f"select alert_key, delivered_to from {OPS_ALERTS_TABLE}")
    assert len(logged) == 6 and logged["delivered_to"].str.contains("#data-oncall").all()


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_metrics_inside_every_threshold_send_nothing(
    target: str,
    slack_standin: SlackStandIn,
    request: pytest.FixtureRequest,
) -> None:
    settings: Settings = request.getfixturevalue(f"{target}_settings")
    runs = _plant(settings, bad=False)
    found, sent = check_and_report(
        settings,
        runs,
        now=NOW,
        send=lambda s, text, key: send_ops_message(
            s, text, key=key, config=bot_config(slack_standin)
        ),
    )
    assert found == [] and sent == []
    assert slack_standin.messages == []


def test_an_empty_warehouse_has_nothing_to_judge(duckdb_settings: Settings) -> None:
    found, sent = check_and_report(duckdb_settings, None, now=NOW, send=None, dry_run=True)
    assert found == [] and sent == []
