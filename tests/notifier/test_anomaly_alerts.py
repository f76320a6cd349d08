"""The `anomaly` alert type (seed row `anomaly,kpi`) goes through the notifier like every alert:
to its channel, with the seed's heading and emoji and the KPI's figures as key lines, once."""

from __future__ import annotations

import dataclasses

from notifier.delivery import deliver_pending
from tests.notifier.conftest import bot_config, make_alert, write_alerts
from tests.notifier.slack_standin import SlackStandIn
from warehouse.settings import Settings


def test_an_anomaly_alert_reaches_its_channel_once(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    alert = dataclasses.replace(
        make_alert(7, recipient="#sales-leadership", alert_type="anomaly", urgency="immediate"),
        entity_type="kpi",
        entity_id="orders",
        entity_name="orders",
        severity="critical",
        title="KPI spike: orders on 2026-11-21",
        details="Value: 40.00; Baseline (median of the same weekday): 10.00; Change: 300%",
        factors="Robust z-score 8.0 (threshold 3.5); Typical deviation (MAD): 2.00",
        suggested_actions="Check the source loads and data quality for that day",
        owner_name=None,
    )
    write_alerts(duckdb_settings, [alert])

    report = deliver_pending(duckdb_settings, config=bot_config(slack))

    assert slack.alert_ids_received() == [alert.alert_id]
    message = slack.messages[0]
    assert message["channel"] == "#sales-leadership"
    assert message["blocks"][0]["text"]["text"] == "🔎 KPI Anomaly"
    assert "*Value:* 40.00" in str(message["blocks"])
    assert report.held_for_review == 0
    assert deliver_pending(duckdb_settings, config=bot_config(slack)).messages == 0
