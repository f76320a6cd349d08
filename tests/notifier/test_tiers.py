"""Urgency tiers: immediate → a message at once, within_24h → the daily digest, within_week →
the weekly digest of last week's alerts, sent by the first run of a week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from notifier.delivery import deliver_pending
from notifier.due import deliverable, week_start
from notifier.messages import plan_messages
from tests.notifier.conftest import bot_config, make_alert, write_alerts
from tests.notifier.slack_standin import SlackStandIn
from warehouse.settings import Settings

WEDNESDAY = datetime(2026, 12, 2, 10, 0)


def test_each_tier_gets_its_message_kind() -> None:
    alerts = [
        make_alert(1, severity="critical", urgency="immediate"),
        make_alert(2, urgency="within_24h"),
        make_alert(3, severity="medium", urgency="within_week"),
        make_alert(4, severity="low", urgency="within_week"),
    ]
    messages = plan_messages([(a, a.recipient) for a in alerts], date(2026, 12, 7))
    assert [(m.kind, m.alert_ids) for m in messages] == [
        ("immediate", (alerts[0].alert_id,)),
        ("digest", (alerts[1].alert_id,)),
        ("weekly", (alerts[2].alert_id, alerts[3].alert_id)),
    ]
    assert messages[2].text.startswith("📋 Weekly alert digest, 2026-12-07")


def test_rows_without_urgency_keep_the_old_routing() -> None:
    assert make_alert(1, severity="critical").tier == "immediate"
    assert make_alert(2, severity="medium").tier == "within_24h"


def test_weekly_alerts_wait_for_the_next_week() -> None:
    monday = week_start(WEDNESDAY)
    assert monday == datetime(2026, 11, 30)
    last_week = make_alert(1, urgency="within_week", created_at=monday - timedelta(days=2))
    this_week = make_alert(2, urgency="within_week", created_at=monday + timedelta(hours=1))
    too_old = make_alert(3, urgency="within_week", created_at=monday - timedelta(days=8))
    daily = make_alert(4, urgency="within_24h", created_at=WEDNESDAY - timedelta(hours=5))
    stale_daily = make_alert(5, urgency="within_24h", created_at=WEDNESDAY - timedelta(days=4))
    chosen = deliverable(
        [last_week, this_week, too_old, daily, stale_daily], WEDNESDAY, timedelta(hours=72)
    )
    assert [alert.alert_id for alert in chosen] == [last_week.alert_id, daily.alert_id]


def test_weekly_digest_is_delivered_once(duckdb_settings: Settings, slack: SlackStandIn) -> None:
    now = datetime(2026, 12, 7, 6, 0)  # a Monday
    write_alerts(
        duckdb_settings,
        [
            make_alert(1, severity="medium", urgency="within_week", created_at=now - timedelta(3)),
            make_alert(2, severity="critical", urgency="immediate", created_at=now),
            make_alert(3, severity="medium", urgency="within_week", created_at=now),
        ],
    )
    first = deliver_pending(duckdb_settings, now=now, config=bot_config(slack))
    again = deliver_pending(duckdb_settings, now=now + timedelta(days=1), config=bot_config(slack))
    assert dict(first.messages_by_kind) == {"immediate": 1, "weekly": 1}
    assert again.messages == 0
    assert sorted(slack.alert_ids_received()) == [
        make_alert(1).alert_id,
        make_alert(2).alert_id,
    ]
