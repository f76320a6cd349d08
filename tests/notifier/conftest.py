"""Fixtures: the Slack stand-in server, Slack settings pointing at it, and a marts.alerts table
built in Python (the notifier's input) on the test warehouse."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import astuple, fields
from datetime import UTC, date, datetime, timedelta

import pytest

from notifier.config import SlackConfig
from notifier.messages import Alert
from notifier.store import open_store
from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn
from warehouse.settings import Settings

ALERTS_DDL = """
create table marts.alerts (
    alert_id varchar, alert_type varchar, entity_type varchar, entity_id varchar,
    entity_name varchar, severity varchar, delivery_mode varchar, title varchar, details varchar,
    factors varchar, suggested_actions varchar, owner_name varchar, recipient varchar,
    cc_recipient varchar, as_of_date date, created_at timestamp, owner_user_id varchar,
    urgency varchar
)
"""


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def make_alert(
    number: int,
    *,
    severity: str = "high",
    recipient: str = "U0REP00001",
    cc_recipient: str | None = None,
    alert_type: str = "high_risk_deal",
    created_at: datetime | None = None,
    owner_user_id: str | None = None,
    urgency: str | None = None,
) -> Alert:
    return Alert(
        alert_id=f"{number:032x}",
        alert_type=alert_type,
        entity_type="opportunity",
        entity_id=f"OPP{number:05d}",
        entity_name=f"Acme {number}",
        severity=severity,
        delivery_mode="immediate" if severity == "critical" else "digest",
        title=f"High-Risk Deal: OPP{number:05d} - Acme {number}",
        details="Risk Score: 82/100; Stage: proposal (40 days); Owner: Sarah Miller",
        factors=(
            "Sales cycle 45% longer than segment average; Lead source (outbound) has 35% win rate"
        ),
        suggested_actions="Schedule executive engagement call; Review competitive landscape",
        owner_name="Sarah Miller",
        recipient=recipient,
        cc_recipient=cc_recipient,
        as_of_date=date(2026, 11, 22),
        created_at=created_at or utc_now() - timedelta(minutes=5),
        owner_user_id=owner_user_id,
        urgency=urgency,
    )


def write_alerts(settings: Settings, alerts: Sequence[Alert]) -> None:
    """Create marts.alerts (if needed) and append the alerts, as the dbt mart would."""
    names = [field.name for field in fields(Alert)]
    with open_store(settings) as store:
        store.execute("create schema if not exists marts")
        if not store.table_exists("marts.alerts"):
            store.execute(ALERTS_DDL)
        if not alerts:
            return
        row = "(" + ", ".join(["%s"] * len(names)) + ")"
        store.execute(  # one statement, one commit: a commit costs a disk flush
            f"insert into marts.alerts ({', '.join(names)}) values"
            + ", ".join([row] * len(alerts)),
            [value for alert in alerts for value in astuple(alert)],
        )


USERS_DDL = """
create table staging.stg_crm__users (
    user_id varchar, manager_user_id varchar, full_name varchar, email varchar,
    user_role varchar, team_name varchar, region varchar, slack_user_id varchar,
    is_active boolean, created_at timestamp
)
"""

#: A small CRM: a manager (M1) of two reps (R1, R2), a CSM (C1) under another manager (M2),
#: a CRO; each with a Slack member id (``S`` + user id) and an email.
CRM_USERS = (
    ("M1", None, "Maria Manager", "manager"),
    ("M2", None, "Mo Manager", "manager"),
    ("R1", "M1", "Sarah Miller", "rep"),
    ("R2", "M1", "Raj Rep", "rep"),
    ("C1", "M2", "Cara Csm", "csm"),
    ("X1", None, "Cleo Cro", "cro"),
)


def slack_id(user_id: str) -> str:
    return f"US{user_id}"


def email_of(user_id: str) -> str:
    return f"{user_id.lower()}@example.test"


def write_users(settings: Settings, users: Sequence[tuple[str, str | None, str, str]]) -> None:
    """The CRM users staging table as dbt builds it, with Slack ids and emails."""
    with open_store(settings) as store:
        store.execute("create schema if not exists staging")
        if not store.table_exists("staging.stg_crm__users"):
            store.execute(USERS_DDL)
        for user_id, manager, name, role in users:
            store.execute(
                "insert into staging.stg_crm__users (user_id, manager_user_id, full_name, email,"
                " user_role, team_name, region, slack_user_id, is_active, created_at)"
                " values (%s, %s, %s, %s, %s, 'sales', 'emea', %s, true, %s)",
                (user_id, manager, name, email_of(user_id), role, slack_id(user_id), utc_now()),
            )


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    try:
        yield server
    finally:
        server.stop()  # idempotent: a test may have stopped it already


def bot_config(server: SlackStandIn, **overrides: object) -> SlackConfig:
    """Short timeouts and backoffs so the retry tests take seconds."""
    values: dict[str, object] = {
        "bot_token": VALID_TOKEN,
        "api_url": server.api_url,
        "timeout_seconds": 0.5,
        "backoff_seconds": 0.2,
        "min_interval_seconds": 0.05,
        "history_lag_seconds": 0.1,
        "max_attempts": 4,
    }
    values.update(overrides)
    return SlackConfig(**values)  # type: ignore[arg-type]


def webhook_config(server: SlackStandIn, **overrides: object) -> SlackConfig:
    values: dict[str, object] = {"bot_token": "", "webhook_url": server.webhook_url}
    values.update(overrides)
    return bot_config(server, **values)


def leave_crashed_claim(settings: Settings, alert: Alert) -> str:
    """A ``sending`` claim for the alert's immediate message, as a run killed between
    claiming and confirming leaves it; the message's delivery key."""
    from notifier.messages import render_alert

    key = render_alert(alert, alert.recipient).delivery_key
    with open_store(settings) as store:
        store.ensure_log()
        assert store.claim([(alert.alert_id, alert.recipient)], "immediate", key, alert.created_at)
    return key
