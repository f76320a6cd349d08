"""Exactly once under any failure: a batch through seeded random faults (lost answers, 429s,
500s, answers slower than the client's timeout), and the notifier killed with SIGKILL at every
request of a batch, before and after Slack acted on it, each followed by a rerun.

After the reruns every (alert, destination) pair is in Slack exactly once and its log row is
``sent`` with the ts of the very message that carries its delivery key. Real slack-sdk clients,
real sockets, the stand-in on loopback.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest

from notifier.config import SlackDown
from notifier.delivery import DeliveryReport, deliver_pending
from notifier.messages import Alert
from notifier.store import open_store
from tests.kill_switch import run_child
from tests.notifier.conftest import bot_config, make_alert, write_alerts
from tests.notifier.slack_standin import VALID_TOKEN, Action, Faults, KillWhen, SlackStandIn
from tests.notifier.standin_faults import lost_reply
from warehouse.settings import Settings

NOW = timedelta(0)
SEED = int(os.environ.get("CIW_FAULT_SEED", "20261203"))


def batch_alerts() -> list[Alert]:
    """46 messages: 40 critical alerts to 40 members, digests for 5 members and a channel."""
    critical = [make_alert(n, severity="critical", recipient=f"U0REP{n:05d}") for n in range(1, 41)]
    digests = [make_alert(n, recipient=f"U0REP{n % 5:05d}") for n in range(41, 51)]
    channel = [make_alert(n, recipient="#sales-leadership") for n in (51, 52)]
    return critical + digests + channel


def assert_exactly_once(settings: Settings, slack: SlackStandIn, alerts: list[Alert]) -> None:
    """Every alert once in Slack, and a consistent log: each pair ``sent`` with the ts of the
    message that carries its delivery key and its alert."""
    received = Counter(slack.alert_ids_received())
    assert [alert_id for alert_id, count in received.items() if count > 1] == []  # duplicates
    assert [a.alert_id for a in alerts if a.alert_id not in received] == []  # lost
    by_ts = slack.message_by_ts()
    with open_store(settings) as store:
        rows = store.execute(
            "select alert_id, status, slack_ts, delivery_key from ops.alert_deliveries"
        )
    assert len(rows) == len(alerts)
    for alert_id, status, slack_ts, delivery_key in rows:
        assert status == "sent", (alert_id, status)
        payload = by_ts[slack_ts]["metadata"]["event_payload"]
        assert payload["delivery_key"] == delivery_key
        assert alert_id in payload["alert_ids"]


def run_until_settled(
    settings: Settings, slack: SlackStandIn, runs: int
) -> tuple[list[DeliveryReport], int]:
    """Deliver with the faults on; after a run Slack stopped, rerun (at most ``runs``), then
    once more with the faults off. The reports of the finished runs, and how many stopped."""
    config = bot_config(
        slack,
        timeout_seconds=0.3,
        backoff_seconds=0.02,
        history_lag_seconds=0.02,
        min_interval_seconds=0.0,
    )
    reports: list[DeliveryReport] = []
    stopped = 0
    for _ in range(runs):
        try:
            reports.append(deliver_pending(settings, config=config, stale_after=NOW))
        except SlackDown:
            stopped += 1
            continue
        break
    slack.faults = None
    reports.append(deliver_pending(settings, config=config, stale_after=NOW))
    return reports, stopped


#: Shares of calls: (answer lost after Slack acted, 429, 500, slower than the timeout).
FAULT_MODES = {"moderate": (0.12, 0.04, 0.05, 0.04), "heavy": (0.2, 0.05, 0.15, 0.05)}


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_batch_through_random_faults_arrives_exactly_once(
    warehouse_settings: Settings, slack: SlackStandIn, mode: str
) -> None:
    alerts = batch_alerts()
    write_alerts(warehouse_settings, alerts)
    lost, rate_limited, errors, slow = FAULT_MODES[mode]
    slack.faults = faults = Faults(
        SEED, lost=lost, rate_limited=rate_limited, errors=errors, slow=slow, delay=0.5
    )

    reports, stopped = run_until_settled(warehouse_settings, slack, runs=6)

    assert_exactly_once(warehouse_settings, slack, alerts)
    posts = [call for call in slack.calls if call.method == "chat.postMessage"]
    acted_unheard = [
        c for c in posts if c.action.startswith("accepted+") or c.action == "slow+posted"
    ]
    drawn = Counter(faults.drawn)
    figures = {
        "messages": len(slack.messages),
        "post_calls": len(posts),
        "posted_but_answer_lost": len(acted_unheard),
        "history_calls": sum(call.method == "conversations.history" for call in slack.calls),
        "runs_stopped": stopped,
        "faults_drawn": dict(drawn),
        "lookups_in_finished_runs": sum(report.lookups for report in reports),
        "reconciled_by_reruns": sum(r.reconciled_sent + r.reconciled_resent for r in reports),
    }
    print(f"\nfault-mode batch ({mode}, seed {SEED}): {figures}")
    assert len(slack.messages) == 46
    # The faults really happened, so the figures above mean something.
    assert len(acted_unheard) >= 4
    assert drawn["429"] + drawn["500"] >= 3


CHILD = """
import dataclasses, sys
sys.stdin.readline()  # wait until the stand-in knows this process's pid
from datetime import timedelta
from warehouse.settings import Settings
from notifier.config import SlackConfig
from notifier.delivery import deliver_pending
config = dataclasses.replace(
    SlackConfig.from_env(), timeout_seconds=5.0, backoff_seconds=0.01,
    history_lag_seconds=0.01, min_interval_seconds=0.0,
)
deliver_pending(Settings.from_env(), config=config)
sys.exit(3)  # not killed: the kill point was past the end of the batch
"""

#: What the killed child meets, in order, so that its requests include look-ups and retries.
CHILD_SCRIPT = {
    "chat.postMessage": [
        Action(),  # message 1
        Action(),  # message 2
        lost_reply(502, html=True),  # message 3 posted, answer lost: found by the look-up
        Action(),  # message 4
        Action(status=429, headers={"Retry-After": "0"}),  # message 5, then its retry
        Action(),
        Action(status=503),  # message 6 not posted: two look-ups, then posted again
    ]
}
POST, OPEN, HISTORY = "chat.postMessage", "conversations.open", "conversations.history"
#: The child's requests with that script: auth.test, posts 1-3, the look-up of 3, post 4,
#: post 5 twice, post 6, its two look-ups, post 6 again, posts 7-10.
CHILD_REQUESTS = [
    *["auth.test", POST, POST, POST, OPEN, HISTORY, POST, POST, POST],
    *[POST, OPEN, HISTORY, HISTORY, POST, POST, POST, POST, POST],
]
#: Killed before each request, and after each post that Slack acted on or refused (after a
#: read is the same crash as before it: a read changes nothing).
BEFORE_AND_AFTER: tuple[KillWhen, ...] = ("before", "after")
KILL_POINTS = [
    (number, when)
    for number, method in enumerate(CHILD_REQUESTS, start=1)
    for when in (BEFORE_AND_AFTER if method == POST else BEFORE_AND_AFTER[:1])
]


def child_alerts() -> list[Alert]:
    return [make_alert(n, severity="critical", recipient=f"U0REP{n:05d}") for n in range(1, 11)]


def killed_run(settings: Settings, slack: SlackStandIn, request: int, when: KillWhen) -> int:
    env = {
        **os.environ,
        **settings.dbt_env(),
        "SLACK_BOT_TOKEN": VALID_TOKEN,
        "SLACK_API_URL": slack.api_url,
    }
    env.pop("SLACK_WEBHOOK_URL", None)
    return run_child(CHILD, env, slack, request, when)


def kill_then_rerun(settings: Settings, slack: SlackStandIn, request: int, when: KillWhen) -> None:
    alerts = child_alerts()
    write_alerts(settings, alerts)
    for method, actions in CHILD_SCRIPT.items():
        slack.script(method, *actions)

    returncode = killed_run(settings, slack, request, when)

    assert returncode == -9 and slack.killed
    slack.kill_on_request = None
    slack.scripts.clear()
    deliver_pending(settings, config=bot_config(slack), stale_after=NOW)
    assert_exactly_once(settings, slack, alerts)


@pytest.mark.slow
@pytest.mark.parametrize(("request_number", "when"), KILL_POINTS)
def test_killed_at_any_request_then_rerun_delivers_exactly_once(
    memory_duckdb_settings: Settings, slack: SlackStandIn, request_number: int, when: KillWhen
) -> None:
    kill_then_rerun(memory_duckdb_settings, slack, request_number, when)


@pytest.mark.postgres
@pytest.mark.parametrize(("request_number", "when"), [(4, "after"), (6, "before"), (14, "after")])
def test_killed_then_rerun_on_postgres(
    postgres_settings: Settings, slack: SlackStandIn, request_number: int, when: KillWhen
) -> None:
    kill_then_rerun(postgres_settings, slack, request_number, when)


def test_the_child_makes_exactly_the_requests_the_kill_points_count(
    memory_duckdb_settings: Settings, slack: SlackStandIn
) -> None:
    """Without a kill the child makes exactly CHILD_REQUESTS: the kill points cover the whole
    batch, look-ups and retries included."""
    alerts = child_alerts()
    write_alerts(memory_duckdb_settings, alerts)
    for method, actions in CHILD_SCRIPT.items():
        slack.script(method, *actions)

    returncode = killed_run(memory_duckdb_settings, slack, len(CHILD_REQUESTS) + 1, "before")

    assert returncode == 3 and not slack.killed
    assert [call.method for call in slack.calls] == CHILD_REQUESTS
    assert len(KILL_POINTS) >= 20
    assert_exactly_once(memory_duckdb_settings, slack, alerts)
