"""The alert lifecycle (notifier/lifecycle.py) on DuckDB and PostgreSQL: transitions, the
append-only events, who may do what, listing; and ``ciw alerts`` end to end."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from notifier.alert_list import alert_events, list_alerts
from notifier.lifecycle import (
    Actor,
    InvalidTransition,
    LifecycleError,
    NotAllowed,
    UnknownAlert,
    change_alert,
)
from tests.notifier.conftest import CRM_USERS, make_alert, write_alerts, write_users
from warehouse.settings import Settings

REP = Actor(name="R1", source="api", user_id="R1", role="rep")
OTHER_REP = Actor(name="R2", source="api", user_id="R2", role="rep")
MANAGER = Actor(name="M1", source="api", user_id="M1", role="manager")
OTHER_MANAGER = Actor(name="M2", source="api", user_id="M2", role="manager")
CRO = Actor(name="X1", source="api", user_id="X1", role="cro")


@pytest.fixture
def owned(warehouse_settings: Settings) -> Settings:
    """Alert 1 owned by rep R1 (manager M1); alert 2 a channel alert with no owner."""
    write_users(warehouse_settings, CRM_USERS)
    write_alerts(
        warehouse_settings,
        [
            make_alert(1, owner_user_id="R1"),
            make_alert(2, recipient="#sales-leadership", alert_type="pipeline_health"),
        ],
    )
    return warehouse_settings


def test_full_path_appends_one_event_per_change(owned: Settings) -> None:
    alert_id = make_alert(1).alert_id
    assert change_alert(owned, alert_id, REP, status="acknowledged").status == "acknowledged"
    assigned = change_alert(owned, alert_id, REP, assigned_to="R1")
    assert (assigned.status, assigned.assigned_to) == ("acknowledged", "R1")
    assert change_alert(owned, alert_id, REP, status="in_progress").status == "in_progress"
    resolved = change_alert(owned, alert_id, MANAGER, status="resolved", note="renewed")
    assert (resolved.status, resolved.note, resolved.updated_by) == ("resolved", "renewed", "M1")
    events = alert_events(owned, alert_id)
    assert [(e["from_status"], e["event_type"], e["status"]) for e in events] == [
        ("open", "acknowledged", "acknowledged"),
        ("acknowledged", "assigned", "acknowledged"),
        ("acknowledged", "in_progress", "in_progress"),
        ("in_progress", "resolved", "resolved"),
    ]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert events[-1]["assigned_to"] == "R1"  # each event carries the state after it


def test_final_states_and_backward_moves_are_refused(owned: Settings) -> None:
    alert_id = make_alert(1).alert_id
    change_alert(owned, alert_id, REP, status="in_progress")
    with pytest.raises(InvalidTransition, match="from in_progress to acknowledged"):
        change_alert(owned, alert_id, REP, status="acknowledged")
    change_alert(owned, alert_id, REP, status="dismissed", note="duplicate of a deal")
    with pytest.raises(InvalidTransition, match="already dismissed") as refused:
        change_alert(owned, alert_id, REP, status="resolved")
    assert refused.value.http_status == 409
    assert len(alert_events(owned, alert_id)) == 2


def test_repeating_the_current_status_adds_no_event(owned: Settings) -> None:
    alert_id = make_alert(1).alert_id
    first = change_alert(owned, alert_id, REP, status="acknowledged")
    again = change_alert(owned, alert_id, REP, status="acknowledged")
    assert again == first
    assert len(alert_events(owned, alert_id)) == 1


def test_who_may_do_what(owned: Settings) -> None:
    alert_id = make_alert(1).alert_id
    with pytest.raises(NotAllowed) as refused:
        change_alert(owned, alert_id, OTHER_REP, status="acknowledged")
    assert refused.value.http_status == 403
    with pytest.raises(NotAllowed):  # a manager, but not this owner's
        change_alert(owned, alert_id, OTHER_MANAGER, status="acknowledged")
    with pytest.raises(NotAllowed, match="only to themselves"):
        change_alert(owned, alert_id, REP, assigned_to="R2")
    assert change_alert(owned, alert_id, MANAGER, assigned_to="R2").assigned_to == "R2"
    # the assignee may now act; the CRO may act on anything
    assert change_alert(owned, alert_id, OTHER_REP, status="in_progress").status == "in_progress"
    assert change_alert(owned, alert_id, CRO, status="resolved").status == "resolved"
    channel_alert = make_alert(2).alert_id
    with pytest.raises(NotAllowed):
        change_alert(owned, channel_alert, REP, status="acknowledged")
    assert change_alert(owned, channel_alert, OTHER_MANAGER, status="acknowledged").version == 1


def test_bad_input_is_named(owned: Settings) -> None:
    alert_id = make_alert(1).alert_id
    with pytest.raises(UnknownAlert, match="unknown alert id") as unknown:
        change_alert(owned, "f" * 32, CRO, status="resolved")
    assert unknown.value.http_status == 404
    with pytest.raises(LifecycleError, match="status 'closed' is not one of") as bad:
        change_alert(owned, alert_id, CRO, status="closed")
    assert bad.value.http_status == 422
    with pytest.raises(UnknownAlert, match="unknown CRM user 'NOPE'"):
        change_alert(owned, alert_id, CRO, assigned_to="NOPE")
    with pytest.raises(LifecycleError, match="at most 2000"):
        change_alert(owned, alert_id, CRO, status="resolved", note="x" * 2001)
    assert alert_events(owned, alert_id) == []


def test_list_filters_by_status_owner_and_type(owned: Settings) -> None:
    change_alert(owned, make_alert(1).alert_id, REP, status="acknowledged")
    assert {row["alert_id"]: row["status"] for row in list_alerts(owned)} == {
        make_alert(1).alert_id: "acknowledged",
        make_alert(2).alert_id: "open",
    }
    assert [r["alert_id"] for r in list_alerts(owned, status=["open"])] == [make_alert(2).alert_id]
    assert [r["alert_id"] for r in list_alerts(owned, owner="R1")] == [make_alert(1).alert_id]
    assert [r["alert_type"] for r in list_alerts(owned, alert_type="pipeline_health")] == [
        "pipeline_health"
    ]


def test_cli_moves_an_alert_and_lists_it(owned: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from ciw.cli import cli

    monkeypatch.setenv("CIW_TARGET", owned.target)
    if owned.target == "duckdb":
        monkeypatch.setenv("CIW_DUCKDB_PATH", str(owned.duckdb_path))
    else:
        monkeypatch.setenv("CIW_PG_DATABASE", owned.pg_database)
    alert_id = make_alert(1).alert_id
    runner = CliRunner()
    acked = runner.invoke(cli, ["alerts", "ack", alert_id])
    assert acked.exit_code == 0, acked.output
    assert f"{alert_id}: acknowledged" in acked.output
    refused = runner.invoke(cli, ["alerts", "assign", alert_id, "R2", "--as", "R1"])
    assert refused.exit_code == 1
    assert "only to themselves" in refused.output
    resolved = runner.invoke(cli, ["alerts", "resolve", alert_id, "--note", "called the buyer"])
    assert resolved.exit_code == 0, resolved.output
    listed = runner.invoke(cli, ["alerts", "list", "--status", "resolved"])
    assert listed.exit_code == 0, listed.output
    assert alert_id in listed.output
    assert make_alert(2).alert_id not in listed.output
    assert alert_events(owned, alert_id)[-1]["note"] == "called the buyer"
