"""The alert lifecycle marts built by dbt over events written by notifier/lifecycle.py:
current status, response times per type and owner, reopened alerts (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from notifier.lifecycle import Actor, change_alert
from tests.notifier.conftest import CRM_USERS, make_alert, write_alerts, write_users
from warehouse import read_frame
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

RAISED = datetime(2026, 11, 22, 6, 0)
REP = Actor(name="R1", source="api", user_id="R1", role="rep")


def test_lifecycle_marts(warehouse_settings: Settings, tmp_path: Path) -> None:
    settings = warehouse_settings
    write_users(settings, CRM_USERS)
    first = make_alert(1, owner_user_id="R1", created_at=RAISED, urgency="within_24h")
    second = make_alert(2, owner_user_id="R1", created_at=RAISED, urgency="within_24h")
    channel = make_alert(3, recipient="#sales-leadership", created_at=RAISED)
    again = make_alert(4, owner_user_id="R1", created_at=RAISED + timedelta(hours=30))
    again = again.__class__(**{**again.__dict__, "entity_id": first.entity_id})
    write_alerts(settings, [first, second, channel, again])
    change_alert(
        settings, first.alert_id, REP, status="acknowledged", now=RAISED + timedelta(1 / 24)
    )
    change_alert(
        settings,
        first.alert_id,
        REP,
        status="resolved",
        note="call booked",
        now=RAISED + timedelta(0.5),
    )
    change_alert(
        settings, second.alert_id, REP, status="in_progress", now=RAISED + timedelta(hours=3)
    )

    run_dbt(
        ["build", "--select", "alert_status", "alert_response_times", "alert_reopened"],
        settings,
        target_path=tmp_path / "target",
        echo=False,
    )

    status = read_frame(
        settings,
        "select alert_id, status, resolution_note, hours_to_acknowledge, hours_to_resolve,"
        " event_count from marts.alert_status order by alert_id",
    )
    assert status["status"].tolist() == ["resolved", "in_progress", "open", "open"]
    assert status["resolution_note"].iloc[0] == "call booked"
    assert status["hours_to_acknowledge"].iloc[:2].tolist() == pytest.approx([1.0, 3.0])
    assert status["hours_to_resolve"].iloc[0] == pytest.approx(12.0)
    assert status["event_count"].tolist() == [2, 1, 0, 0]

    times = read_frame(
        settings,
        "select owner_key, alert_count, resolved_count, open_count, avg_hours_to_acknowledge,"
        " median_hours_to_resolve from marts.alert_response_times order by owner_key",
    )
    assert times["owner_key"].tolist() == ["(unowned)", "R1"]
    owned = times.iloc[1]
    assert (owned["alert_count"], owned["resolved_count"], owned["open_count"]) == (3, 1, 2)
    assert owned["avg_hours_to_acknowledge"] == pytest.approx(2.0)
    assert owned["median_hours_to_resolve"] == pytest.approx(12.0)

    reopened = read_frame(
        settings,
        "select alert_id, reopened_by_alert_id, hours_resolved_to_reopened"
        " from marts.alert_reopened",
    )
    assert reopened.to_dict("records") == [
        {
            "alert_id": first.alert_id,
            "reopened_by_alert_id": again.alert_id,
            "hours_resolved_to_reopened": pytest.approx(18.0),
        }
    ]
