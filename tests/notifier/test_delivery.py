"""deliver_pending against the Slack stand-in: exactly once per (alert, destination), through
429s, 500s, timeouts, a bad token, reruns and a crash between sending and logging."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from notifier.config import NotifierError, SlackConfig
from notifier.delivery import deliver_pending
from notifier.store import open_store
from tests.notifier.conftest import (
    bot_config,
    leave_crashed_claim,
    make_alert,
    webhook_config,
    write_alerts,
)
from tests.notifier.slack_standin import VALID_TOKEN, Action, SlackStandIn
from warehouse.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def log_statuses(settings: Settings) -> Counter[str]:
    with open_store(settings) as store:
        return Counter(row[0] for row in store.execute("select status from ops.alert_deliveries"))


def posts(slack: SlackStandIn) -> list[float]:
    return [call.at for call in slack.calls if call.method == "chat.postMessage"]


def test_delivers_critical_at_once_and_a_digest_per_owner_then_nothing_on_rerun(
    warehouse_settings: Settings, slack: SlackStandIn
) -> None:
    alerts = [
        make_alert(1, severity="critical", cc_recipient="U0MANAGER1"),
        make_alert(2, severity="critical"),
        make_alert(3, recipient="U0REP00001"),
        make_alert(4, recipient="U0REP00001", severity="medium"),
        make_alert(5, recipient="#sales-leadership", alert_type="pipeline_health"),
    ]
    write_alerts(warehouse_settings, alerts)

    report = deliver_pending(warehouse_settings, config=bot_config(slack))

    # Alert 1 goes to the rep and the manager; 2 to the rep; 3+4 in the rep's digest; 5 alone.
    assert report.messages_by_kind == {"immediate": 3, "digest": 2}
    assert Counter(slack.alert_ids_received()) == {
        alerts[0].alert_id: 2,
        alerts[1].alert_id: 1,
        alerts[2].alert_id: 1,
        alerts[3].alert_id: 1,
        alerts[4].alert_id: 1,
    }
    digest = next(
        m for m in slack.messages if m["channel"] == "U0REP00001" and "digest" in m["text"]
    )
    assert "2 alerts" in digest["text"]
    critical = next(m for m in slack.messages if m["channel"] == "U0MANAGER1")
    assert critical["blocks"][0]["text"]["text"] == "🚨 High-Risk Deal Alert"
    assert "*Top Risk Factors:*\n• Sales cycle 45% longer" in critical["blocks"][2]["text"]["text"]
    assert log_statuses(warehouse_settings) == {"sent": 6}
    with open_store(warehouse_settings) as store:
        assert all(row[0] for row in store.execute("select slack_ts from ops.alert_deliveries"))

    again = deliver_pending(warehouse_settings, config=bot_config(slack))

    assert again.messages == 0
    assert again.already_delivered == 6
    assert len(slack.messages) == 5


def test_rate_limit_waits_for_retry_after(duckdb_settings: Settings, slack: SlackStandIn) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("chat.postMessage", Action(status=429, headers={"Retry-After": "1"}))

    report = deliver_pending(duckdb_settings, config=bot_config(slack))

    first, second = posts(slack)
    assert second - first >= 1.0
    assert report.waited_seconds >= 1.0
    assert Counter(slack.alert_ids_received()) == {make_alert(1).alert_id: 1}


def test_server_errors_are_retried_with_backoff(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("chat.postMessage", Action(status=500), Action(status=503))

    report = deliver_pending(duckdb_settings, config=bot_config(slack))

    assert [call.status for call in slack.calls if call.method == "chat.postMessage"] == [
        500,
        503,
        200,
    ]
    assert report.deliveries == 1
    assert len(slack.messages) == 1


def test_timeout_after_slack_posted_is_found_not_resent(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    """The answer is lost but the message exists: history lookup confirms it, no second post."""
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("chat.postMessage", Action(delay=0.7, post=True))

    report = deliver_pending(duckdb_settings, config=bot_config(slack, backoff_seconds=0.5))

    assert len(slack.messages) == 1
    assert report.deliveries == 1
    assert log_statuses(duckdb_settings) == {"sent": 1}


def test_timeout_before_slack_posted_is_retried(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("chat.postMessage", Action(delay=0.7, post=False))

    report = deliver_pending(duckdb_settings, config=bot_config(slack, backoff_seconds=0.5))

    assert len(slack.messages) == 1
    assert len(posts(slack)) == 2
    assert report.deliveries == 1


def test_pacing_keeps_one_message_per_interval_per_channel(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(n, severity="critical") for n in (1, 2, 3)])

    deliver_pending(duckdb_settings, config=bot_config(slack, min_interval_seconds=0.4))

    times = posts(slack)
    assert len(times) == 3
    # Without pacing the posts come milliseconds apart; server-side arrival jitters under load.
    assert min(later - earlier for earlier, later in itertools.pairwise(times)) >= 0.3


def test_bad_token_fails_with_one_clear_line_and_claims_nothing(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    secret = "xoxb-wrong-secret-value"

    with pytest.raises(NotifierError) as failure:
        deliver_pending(duckdb_settings, config=bot_config(slack, bot_token=secret))

    message = str(failure.value)
    assert "invalid_auth" in message and "SLACK_BOT_TOKEN" in message
    assert secret not in message and "\n" not in message
    assert slack.messages == []
    assert log_statuses(duckdb_settings) == {}


def test_webhook_delivery_honours_429_and_reruns_send_nothing(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical"), make_alert(2)])
    slack.script("webhook", Action(status=429, headers={"Retry-After": "1"}))

    report = deliver_pending(duckdb_settings, config=webhook_config(slack))
    again = deliver_pending(duckdb_settings, config=webhook_config(slack))

    assert report.messages == 2 and again.messages == 0
    assert len(slack.messages) == 2
    assert report.waited_seconds >= 1.0
    assert slack.messages[0]["text"].startswith("<@U0REP00001> 🚨 High-Risk Deal Alert")


def test_bad_webhook_url_fails_clearly(duckdb_settings: Settings, slack: SlackStandIn) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    config = webhook_config(slack, webhook_url=slack.url + "/services/T/B/revoked")

    with pytest.raises(NotifierError, match="SLACK_WEBHOOK_URL"):
        deliver_pending(duckdb_settings, config=config)


def test_without_credentials_messages_go_to_the_outbox_once(duckdb_settings: Settings) -> None:
    write_alerts(
        duckdb_settings, [make_alert(1, severity="critical"), make_alert(2), make_alert(3)]
    )

    report = deliver_pending(duckdb_settings, config=SlackConfig())
    again = deliver_pending(duckdb_settings, config=SlackConfig())

    assert report.outbox_path is not None
    lines = Path(report.outbox_path).read_text().splitlines()
    assert len(lines) == 2  # the critical alert, and one digest for alerts 2 and 3
    assert "outbox" in report.summary() and report.outbox_path in report.summary()
    assert again.messages == 0
    assert log_statuses(duckdb_settings) == {"outbox": 3}


def test_dry_run_renders_without_sending_or_logging(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical"), make_alert(2)])

    report = deliver_pending(duckdb_settings, dry_run=True, config=bot_config(slack))

    assert [message.kind for message in report.planned] == ["immediate", "digest"]
    assert slack.calls == []
    with open_store(duckdb_settings) as store:
        assert not store.table_exists("ops.alert_deliveries")


def test_old_alerts_are_not_delivered(duckdb_settings: Settings, slack: SlackStandIn) -> None:
    from datetime import timedelta

    from tests.notifier.conftest import utc_now

    write_alerts(duckdb_settings, [make_alert(1, created_at=utc_now() - timedelta(days=10))])

    report = deliver_pending(duckdb_settings, config=bot_config(slack))

    assert report.alerts_considered == 0 and slack.messages == []


def _crashing_run(settings: Settings, slack: SlackStandIn, kill_after: int) -> int:
    """Run the notifier in a child process that the stand-in kills right after its n-th post."""
    env = {
        **os.environ,
        **settings.dbt_env(),
        "SLACK_BOT_TOKEN": VALID_TOKEN,
        "SLACK_API_URL": slack.api_url,
    }
    env.pop("SLACK_WEBHOOK_URL", None)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from warehouse.settings import Settings; from notifier import "
            "deliver_pending; deliver_pending(Settings.from_env())",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    slack.kill_after_posts = (kill_after, child.pid)
    return child.wait(timeout=60)


def test_crash_mid_batch_then_rerun_delivers_every_alert_exactly_once(
    warehouse_settings: Settings, slack: SlackStandIn
) -> None:
    from datetime import timedelta

    alerts = [make_alert(n, severity="critical", recipient=f"U0REP0000{n}") for n in range(1, 6)]
    write_alerts(warehouse_settings, alerts)

    returncode = _crashing_run(warehouse_settings, slack, kill_after=3)

    assert returncode == -9  # killed after Slack posted the third message, before it was logged
    assert len(slack.messages) == 3
    assert log_statuses(warehouse_settings) == {"sent": 2, "sending": 1}

    report = deliver_pending(warehouse_settings, config=bot_config(slack), stale_after=timedelta(0))

    assert report.reconciled_sent == 1
    assert report.deliveries == 2
    assert Counter(slack.alert_ids_received()) == {alert.alert_id: 1 for alert in alerts}
    assert log_statuses(warehouse_settings) == {"sent": 5}


def test_claim_left_by_a_crash_before_posting_is_sent_on_rerun(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    """A 'sending' claim whose message never reached Slack is released and sent once."""
    from datetime import timedelta

    alert = make_alert(1, severity="critical")
    write_alerts(duckdb_settings, [alert])
    leave_crashed_claim(duckdb_settings, alert)

    report = deliver_pending(duckdb_settings, config=bot_config(slack), stale_after=timedelta(0))

    assert report.reconciled_resent == 1
    assert Counter(slack.alert_ids_received()) == {alert.alert_id: 1}


def test_webhook_claim_left_by_a_crash_is_never_resent(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    from datetime import timedelta

    alert = make_alert(1, severity="critical")
    write_alerts(duckdb_settings, [alert])
    leave_crashed_claim(duckdb_settings, alert)

    report = deliver_pending(
        duckdb_settings, config=webhook_config(slack), stale_after=timedelta(0)
    )

    assert report.unknown == 1 and report.messages == 0
    assert slack.messages == []
    assert log_statuses(duckdb_settings) == {"unknown": 1}
    assert "1 unknown" in report.summary()


def test_unreachable_slack_fails_with_one_line_and_leaves_alerts_pending(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    from notifier.config import SlackDown

    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.stop()  # nothing listens on the stand-in's port any more
    config = bot_config(slack, max_attempts=2, backoff_seconds=0.05)

    with pytest.raises(SlackDown) as failure:
        deliver_pending(duckdb_settings, config=config)

    assert "auth.test failed after 2 attempts" in str(failure.value)
    assert "\n" not in str(failure.value)
    assert log_statuses(duckdb_settings) == {}
