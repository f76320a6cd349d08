"""Rendering: messages read like the design's examples, digests stay within Slack's limits,
and planning sends critical alerts alone and the rest once per destination."""

from __future__ import annotations

from datetime import date

from notifier.messages import DIGEST_ALERTS_PER_MESSAGE, plan_messages, render_alert, render_digest
from tests.notifier.conftest import make_alert


def test_alert_text_reads_like_the_high_risk_deal_example() -> None:
    alert = make_alert(7, severity="critical")

    message = render_alert(alert, alert.recipient)

    assert message.text.splitlines() == [
        "🚨 High-Risk Deal Alert",
        "",
        alert.title,
        "Risk Score: 82/100",
        "Stage: proposal (40 days)",
        "Owner: Sarah Miller",
        "",
        "Top Risk Factors:",
        "• Sales cycle 45% longer than segment average",
        "• Lead source (outbound) has 35% win rate",
        "",
        "Recommended Actions:",
        "1. Schedule executive engagement call",
        "2. Review competitive landscape",
    ]
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "🚨 High-Risk Deal Alert"},
    }
    assert "*Risk Score:* 82/100" in message.blocks[1]["text"]["text"]
    assert message.metadata["event_payload"]["alert_ids"] == [alert.alert_id]


def test_delivery_key_is_stable_and_differs_per_destination() -> None:
    alert = make_alert(1, severity="critical")

    first = render_alert(alert, "U0REP00001").delivery_key

    assert first == render_alert(alert, "U0REP00001").delivery_key
    assert first != render_alert(alert, "U0MANAGER1").delivery_key


def test_copied_manager_sees_who_the_alert_was_for() -> None:
    alert = make_alert(1, severity="critical", cc_recipient="U0MANAGER1")

    blocks = render_alert(alert, "U0MANAGER1").blocks
    context = next(block for block in blocks if block["type"] == "context")["elements"][0]["text"]

    assert "copied to you (sent to <@U0REP00001>)" in context


def test_mrkdwn_control_characters_in_data_are_escaped() -> None:
    alert = make_alert(1, severity="critical")
    alert = alert.__class__(**{**alert.__dict__, "title": "Deal <!channel> & co"})

    section = render_alert(alert, alert.recipient).blocks[1]["text"]["text"]

    assert "&lt;!channel&gt; &amp; co" in section and "<!channel>" not in section


def test_long_digest_is_split_and_lists_every_alert_once() -> None:
    alerts = [make_alert(n) for n in range(1, 2 * DIGEST_ALERTS_PER_MESSAGE + 6)]

    messages = render_digest("U0REP00001", alerts, date(2026, 11, 22))

    assert len(messages) == 3
    listed = [alert_id for message in messages for alert_id in message.alert_ids]
    assert sorted(listed) == sorted(alert.alert_id for alert in alerts)
    assert all(len(message.blocks) <= 50 for message in messages)
    assert messages[0].blocks[0]["text"]["text"].endswith("(1/3)")


def test_plan_sends_critical_alone_to_each_destination_and_digests_the_rest() -> None:
    critical = make_alert(1, severity="critical", cc_recipient="U0MANAGER1")
    high = make_alert(2, recipient="U0REP00001")
    medium = make_alert(3, recipient="#customer-retention", severity="medium")
    due = [(critical, d) for d in critical.destinations] + [
        (high, high.recipient),
        (medium, medium.recipient),
    ]

    messages = plan_messages(due, date(2026, 11, 22))

    assert [(m.kind, m.destination, m.alert_ids) for m in messages] == [
        ("immediate", "U0MANAGER1", (critical.alert_id,)),
        ("immediate", "U0REP00001", (critical.alert_id,)),
        ("digest", "#customer-retention", (medium.alert_id,)),
        ("digest", "U0REP00001", (high.alert_id,)),
    ]


def test_a_flood_of_critical_alerts_is_capped_per_destination() -> None:
    alerts = [
        make_alert(n, severity="critical", recipient="#customer-retention") for n in range(30)
    ]

    messages = plan_messages(
        [(a, a.recipient) for a in alerts], date(2026, 11, 22), immediate_limit=5
    )

    assert [m.kind for m in messages] == ["immediate"] * 5 + ["digest"] * 2  # 25 = 20 + 5
    listed = [alert_id for message in messages for alert_id in message.alert_ids]
    assert sorted(listed) == sorted(alert.alert_id for alert in alerts)
