"""Answers lost after Slack may have acted on chat.postMessage (5xx, a proxy's HTML page, a
reset, an unparsable 200): the bot looks the message up before posting again; a webhook under
SLACK_WEBHOOK_AMBIGUOUS=skip records ``unknown``, under ``retry`` sends again. Through the real
slack-sdk clients against the stand-in."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from notifier.config import SlackDown
from notifier.delivery import deliver_pending
from notifier.store import open_store
from tests.notifier.conftest import bot_config, make_alert, webhook_config, write_alerts
from tests.notifier.slack_standin import Action, SlackStandIn
from tests.notifier.standin_faults import lost_by_reset, lost_in_garbage, lost_reply
from warehouse.settings import Settings

LOST_ANSWERS = {
    "500": lost_reply(500),
    "502-html": lost_reply(502, html=True),
    "503-html": lost_reply(503, html=True),
    "504-html": lost_reply(504, html=True),
    "reset": lost_by_reset(),
    "html-200": lost_in_garbage(),
    "truncated-200": lost_in_garbage(truncated=True),
}


def log(settings: Settings) -> list[tuple[str, str | None]]:
    with open_store(settings) as store:
        return [
            (row[0], row[1])
            for row in store.execute("select status, slack_ts from ops.alert_deliveries")
        ]


def methods(slack: SlackStandIn) -> Counter[str]:
    return Counter(call.method for call in slack.calls)


#: Answers lost before Slack acted: the look-up finds nothing (twice), the message is posted again.
NOT_POSTED = {
    "not-posted-502-html": Action(status=502, reply="html"),
    "not-posted-reset": Action(reply="reset"),
    "not-posted-503": Action(status=503),
}


@pytest.mark.parametrize(
    "action", [*LOST_ANSWERS.values(), *NOT_POSTED.values()], ids=[*LOST_ANSWERS, *NOT_POSTED]
)
def test_lost_answer_is_looked_up_and_the_message_arrives_once(
    duckdb_settings: Settings, slack: SlackStandIn, action: Action
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("chat.postMessage", action)

    report = deliver_pending(duckdb_settings, config=bot_config(slack))

    posted_first = action.acts
    assert len(slack.messages) == 1
    assert methods(slack)["chat.postMessage"] == (1 if posted_first else 2)
    lookups = 1 if posted_first else 2  # found at once, or missed twice before posting again
    assert report.lookups == lookups and methods(slack)["conversations.history"] == lookups
    assert report.deliveries == 1 and report.answers_lost == 1
    assert log(duckdb_settings) == [("sent", slack.messages[0]["ts"])]
    assert f"1 lost answers checked with {lookups} history look-ups" in report.summary()


def test_rate_limit_is_not_ambiguous_and_needs_no_look_up(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("chat.postMessage", Action(status=429, headers={"Retry-After": "1"}))

    report = deliver_pending(duckdb_settings, config=bot_config(slack))

    assert methods(slack)["conversations.history"] == 0
    assert report.lookups == 0 and report.answers_lost == 0
    assert report.waited_seconds >= 1.0 and len(slack.messages) == 1


def test_history_that_lags_is_caught_by_the_second_look_up(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    """The first look-up misses the message, the second (after history_lag_seconds) finds it:
    without the second look the message would be posted twice."""
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.history_lag = 1
    slack.script("chat.postMessage", lost_reply(500))

    report = deliver_pending(duckdb_settings, config=bot_config(slack, history_lag_seconds=0.3))

    assert len(slack.messages) == 1 and methods(slack)["chat.postMessage"] == 1
    assert report.lookups == 2
    assert report.waited_seconds >= 0.2 + 0.3  # the backoff, then the pause for the lag
    assert log(duckdb_settings) == [("sent", slack.messages[0]["ts"])]


@pytest.mark.parametrize(
    "history_failure",
    [Action(status=500), Action(delay=0.6, post=False)],
    ids=["history-500", "history-timeout"],
)
def test_failing_look_up_keeps_the_claim_and_the_rerun_settles_it(
    warehouse_settings: Settings, slack: SlackStandIn, history_failure: Action
) -> None:
    alerts = [make_alert(1, severity="critical"), make_alert(2, severity="critical")]
    write_alerts(warehouse_settings, alerts)
    config = bot_config(slack, max_attempts=3, timeout_seconds=0.3, backoff_seconds=0.05)
    slack.script("chat.postMessage", lost_reply(502, html=True))
    slack.script("conversations.history", *[history_failure] * config.max_attempts)

    with pytest.raises(SlackDown) as stopped:
        deliver_pending(warehouse_settings, config=config)

    message = str(stopped.value)
    assert "look-up failed" in message and "stays sending" in message and "\n" not in message
    assert [status for status, _ in log(warehouse_settings)] == ["sending"]
    assert len(slack.messages) == 1

    rerun = deliver_pending(warehouse_settings, config=config, stale_after=timedelta(0))

    assert rerun.reconciled_sent == 1 and rerun.deliveries == 1
    assert Counter(slack.alert_ids_received()) == {alert.alert_id: 1 for alert in alerts}
    by_ts = slack.message_by_ts()
    assert sorted(status for status, _ in log(warehouse_settings)) == ["sent", "sent"]
    assert all(ts in by_ts for _, ts in log(warehouse_settings))


def test_giving_up_after_a_lost_answer_leaves_the_claim_for_reconciliation(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    """Attempts run out after an answer was lost: the message is not released (a lagging
    history could still show it); the rerun looks again, finds nothing and sends it once."""
    alert = make_alert(1, severity="critical")
    write_alerts(duckdb_settings, [alert])
    config = bot_config(slack, max_attempts=3)
    rate_limited = Action(status=429, headers={"Retry-After": "0"})
    slack.script("chat.postMessage", Action(status=504, reply="html"), rate_limited, rate_limited)

    with pytest.raises(SlackDown, match="stays sending for the next run"):
        deliver_pending(duckdb_settings, config=config)

    assert log(duckdb_settings) == [("sending", None)] and slack.messages == []

    rerun = deliver_pending(duckdb_settings, config=config, stale_after=timedelta(0))

    assert rerun.reconciled_resent == 1 and rerun.deliveries == 1
    assert Counter(slack.alert_ids_received()) == {alert.alert_id: 1}


def test_slack_down_without_a_lost_answer_releases_the_claim(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    rate_limited = Action(status=429, headers={"Retry-After": "0"})
    slack.script("chat.postMessage", *[rate_limited] * 2)

    with pytest.raises(SlackDown, match="stay pending for the next run"):
        deliver_pending(duckdb_settings, config=bot_config(slack, max_attempts=2))

    assert log(duckdb_settings) == []


@pytest.mark.parametrize(
    "action",
    [lost_reply(500), lost_reply(503, html=True), lost_by_reset(), lost_in_garbage()],
    ids=["500", "503-html", "reset", "html-200"],
)
def test_webhook_lost_answer_is_unknown_and_never_resent_by_default(
    warehouse_settings: Settings, slack: SlackStandIn, action: Action
) -> None:
    write_alerts(warehouse_settings, [make_alert(1, severity="critical"), make_alert(2)])
    slack.script("webhook", action)

    report = deliver_pending(warehouse_settings, config=webhook_config(slack))
    again = deliver_pending(warehouse_settings, config=webhook_config(slack))

    assert len(slack.messages) == 2 and methods(slack)["webhook"] == 2
    assert report.unknown == 1 and report.messages == 1
    assert "1 unknown" in report.summary()
    assert sorted(status for status, _ in log(warehouse_settings)) == ["sent", "unknown"]
    assert again.messages == 0 and again.already_delivered == 2


def test_webhook_lost_answer_is_sent_again_under_retry(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.script("webhook", lost_reply(502, html=True))

    report = deliver_pending(
        duckdb_settings, config=webhook_config(slack, webhook_ambiguous="retry")
    )

    assert len(slack.messages) == 2  # at least once: the lost one arrived too
    assert report.resent_unsure == 1 and report.unknown == 0 and report.deliveries == 1
    assert "SLACK_WEBHOOK_AMBIGUOUS=retry" in report.summary()
    assert log(duckdb_settings) == [("sent", None)]


def test_webhook_that_cannot_connect_is_retried_and_released_not_unknown(
    duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    slack.stop()

    with pytest.raises(SlackDown, match="webhook failed after 2 attempts: not sent"):
        deliver_pending(duckdb_settings, config=webhook_config(slack, max_attempts=2))

    assert log(duckdb_settings) == []
