"""The ``unknown`` outcome end to end: SLACK_WEBHOOK_AMBIGUOUS, the log status (and the old
``unconfirmed`` rows), the run's summary, ``ciw notify`` and the Dagster asset's metadata."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest
from click.testing import CliRunner

from ciw.notify_cli import notify_command
from notifier.config import NotifierError, SlackConfig
from notifier.delivery import DeliveryReport, count_retries, deliver_pending
from notifier.messages import render_alert
from notifier.retrying import Retrying
from notifier.store import open_store
from orchestration.alerts import slack_notifications
from orchestration.resources import WarehouseResource
from tests.notifier.conftest import leave_crashed_claim, make_alert, webhook_config, write_alerts
from tests.notifier.slack_standin import SlackStandIn
from tests.notifier.standin_faults import lost_reply
from warehouse.settings import Settings


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "skip"), ("", "skip"), ("skip", "skip"), (" RETRY ", "retry")]
)
def test_webhook_ambiguous_from_env(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str
) -> None:
    if value is None:
        monkeypatch.delenv("SLACK_WEBHOOK_AMBIGUOUS", raising=False)
    else:
        monkeypatch.setenv("SLACK_WEBHOOK_AMBIGUOUS", value)

    assert SlackConfig.from_env().webhook_ambiguous == expected


def test_invalid_webhook_ambiguous_is_one_line_naming_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_AMBIGUOUS", "maybe")

    with pytest.raises(NotifierError) as failure:
        SlackConfig.from_env()

    assert str(failure.value) == "SLACK_WEBHOOK_AMBIGUOUS must be one of skip, retry, not 'maybe'"


def test_summary_names_unknown_unsettled_and_at_least_once() -> None:
    webhook = DeliveryReport(mode="webhook")
    assert "0 unknown" in webhook.summary()
    assert "unknown" not in DeliveryReport(mode="bot").summary()

    report = DeliveryReport(mode="bot", unknown=2, unsettled=1, answers_lost=3, lookups=5)
    summary = report.summary()
    assert "3 lost answers checked with 5 history look-ups" in summary
    assert "2 unknown" in summary
    assert "1 left sending (answer lost, look-up inconclusive)" in summary
    assert "at least once" in DeliveryReport(mode="webhook", resent_unsure=1).summary()


def test_count_retries_copies_the_counters_of_the_writes() -> None:
    retrying = Retrying(SlackConfig(), sleep=lambda seconds: None)
    retrying.wait(1.5)
    retrying.unsure_outcomes.update({"chat.postMessage": 2, "conversations.history": 4})
    retrying.repeated_unsure.update({"webhook": 1, "conversations.history": 4})
    retrying.lookups = 3
    report = DeliveryReport(mode="bot")

    count_retries(report, retrying)

    assert (report.waited_seconds, report.answers_lost, report.lookups) == (1.5, 2, 3)
    assert report.resent_unsure == 1


def test_mark_unknown_and_old_unconfirmed_rows_become_unknown(
    warehouse_settings: Settings,
) -> None:
    alerts = [make_alert(1, severity="critical"), make_alert(2, severity="critical")]
    keys = [render_alert(alert, alert.recipient).delivery_key for alert in alerts]
    now = alerts[0].created_at
    with open_store(warehouse_settings) as store:
        store.ensure_log()
        for alert, key in zip(alerts, keys, strict=True):
            assert store.claim([(alert.alert_id, alert.recipient)], "immediate", key, now)
        store.mark_unknown(keys[0], "webhook: HTTP 502")
        store.execute(
            "update ops.alert_deliveries set status = 'unconfirmed' where delivery_key = %s",
            (keys[1],),
        )
        store.ensure_log()  # what every run does first
        rows = store.execute("select status, error from ops.alert_deliveries order by alert_id")

    assert rows == [("unknown", "webhook: HTTP 502"), ("unknown", None)]


@pytest.fixture
def webhook_env(
    cli_duckdb_settings: Settings, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_WEBHOOK_AMBIGUOUS"):
        monkeypatch.delenv(name, raising=False)
    write_alerts(cli_duckdb_settings, [make_alert(1, severity="critical"), make_alert(2)])
    return cli_duckdb_settings


def test_ciw_notify_shows_the_unknown_count(webhook_env: Settings, slack: SlackStandIn) -> None:
    slack.script("webhook", lost_reply(503, html=True))

    result = CliRunner().invoke(notify_command, [])

    assert result.exit_code == 0, result.output
    assert "sent 1 messages" in result.output
    assert "1 unknown (webhook answer lost or run interrupted; never resent)" in result.output
    assert len(slack.messages) == 2


def test_ciw_notify_refuses_an_invalid_policy_in_one_line(
    webhook_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_AMBIGUOUS", "twice")

    result = CliRunner().invoke(notify_command, [])

    assert result.exit_code == 1
    assert result.output.strip() == (
        "ciw: error: SLACK_WEBHOOK_AMBIGUOUS must be one of skip, retry, not 'twice'"
    )


def test_asset_metadata_counts_unknown_deliveries(
    webhook_env: Settings, slack: SlackStandIn
) -> None:
    slack.script("webhook", lost_reply(500))
    resources = {"warehouse": WarehouseResource.from_settings(webhook_env)}

    result = dg.materialize([slack_notifications], resources=resources)

    metadata = result.asset_materializations_for_node("alerts__slack_notifications")[0].metadata
    assert metadata["unknown"].value == 1
    assert metadata["answers_lost"].value == 1
    assert metadata["messages"].value == 1
    assert "1 unknown" in str(metadata["summary"].value)


def test_crashed_webhook_claim_is_sent_again_under_retry(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    """Under SLACK_WEBHOOK_AMBIGUOUS=retry a claim a crash left is released and sent again
    (at least once); under skip it would be ``unknown`` (test_delivery)."""
    alert = make_alert(1, severity="critical")
    write_alerts(duckdb_settings, [alert])
    leave_crashed_claim(duckdb_settings, alert)

    config = webhook_config(slack, webhook_ambiguous="retry")
    report = deliver_pending(duckdb_settings, config=config, stale_after=timedelta(0))

    assert report.reconciled_resent == 1 and report.unknown == 0
    assert len(slack.messages) == 1 and alert.entity_name in slack.messages[0]["text"]
    with open_store(duckdb_settings) as store:
        assert store.execute("select status from ops.alert_deliveries") == [("sent",)]
