"""Alert delivery throughput: 1,000 alerts over 50 destinations through the Slack stand-in on
loopback (real HTTP, slack-sdk, the delivery log on a real warehouse), keeping Slack's pacing of
one message per second per channel.

    .venv/bin/python -m benchmarks.alert_delivery [--target duckdb|postgres] [--alerts 1000]
        [--destinations 50] [--mix immediate|tiers] [--channels slack|all]

``--mix immediate``: every alert critical (one message each: the worst case for pacing);
``tiers``: 10% immediate, 60% within_24h, 30% within_week (a Monday, so the weekly digest is
due). ``--channels all`` adds the Teams stand-in and an SMTP server on loopback (aiosmtpd).
Prints messages and alert deliveries per second, and the shortest gap between two messages in
one channel (must stay >= the pacing interval).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.scratch import drop_scratch_warehouse, scratch_warehouse
from notifier.config import SlackConfig
from notifier.delivery import deliver_pending
from notifier.due import channel_of
from notifier.email import EmailConfig
from notifier.teams import TeamsConfig
from tests.notifier.conftest import make_alert, write_alerts, write_users
from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn

MONDAY = datetime(2026, 12, 7, 6, 0)


def alerts(count: int, destinations: int, mix: str) -> list:  # type: ignore[type-arg]
    made = []
    for number in range(1, count + 1):
        share = number % 10
        if mix == "immediate" or share == 0:
            severity, urgency = "critical", "immediate"
        elif share <= 6:
            severity, urgency = "high", "within_24h"
        else:
            severity, urgency = "medium", "within_week"
        owner = f"B{(number // 10) % destinations:03d}"  # every tier spread over all owners
        created = MONDAY - (timedelta(days=2) if urgency == "within_week" else timedelta(0))
        made.append(
            make_alert(
                number,
                severity=severity,
                urgency=urgency,
                recipient=f"U{owner}",
                owner_user_id=owner,
                created_at=created - timedelta(minutes=5),
            )
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["duckdb", "postgres"], default="duckdb")
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--destinations", type=int, default=50)
    parser.add_argument("--mix", choices=["immediate", "tiers"], default="immediate")
    parser.add_argument("--channels", choices=["slack", "all"], default="slack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        settings = scratch_warehouse(args.target, Path(scratch), "alerts")
        stack.callback(drop_scratch_warehouse, settings)
        slack = SlackStandIn().start()
        stack.callback(slack.stop)
        batch = alerts(args.alerts, args.destinations, args.mix)
        write_alerts(settings, batch)
        users = [(f"B{i:03d}", None, f"Owner {i}", "rep") for i in range(args.destinations)]
        write_users(settings, users)
        config = SlackConfig(bot_token=VALID_TOKEN, api_url=slack.api_url)  # 1 msg/s/channel
        teams, email = (
            other_channels(stack, Path(scratch)) if args.channels == "all" else (None, None)
        )
        if email is None:  # not from the environment either: Slack alone
            email = EmailConfig()
            teams = TeamsConfig()
        started = time.perf_counter()
        report = deliver_pending(settings, config=config, now=MONDAY, teams=teams, email=email)
        elapsed = time.perf_counter() - started
        gaps = shortest_gap(slack)
        print(f"warehouse: {args.target}; channels: {', '.join(report.channels)}; mix: {args.mix}")
        print(report.summary())
        print(
            f"{len(batch)} alerts over {args.destinations} destinations: {report.messages}"
            f" messages in {elapsed:.1f} s = {report.messages / elapsed:.1f} messages/s,"
            f" {report.deliveries / elapsed:.1f} alert deliveries/s;"
            f" waited {report.waited_seconds:.1f} s for retries"
        )
        kinds: dict[str, int] = {}
        for destination, count in report.messages_by_destination.items():
            kind = channel_of(destination)
            kinds[kind] = kinds.get(kind, 0) + count
        print("messages by channel: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        print(f"shortest gap between two Slack messages in one channel: {gaps:.3f} s")


def shortest_gap(slack: SlackStandIn) -> float:
    by_channel: dict[str, list[float]] = {}
    for message in slack.messages:
        by_channel.setdefault(message["channel"], []).append(message["received_at"])
    gaps = [
        later - earlier
        for times in by_channel.values()
        for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    return min(gaps) if gaps else float("nan")


def other_channels(stack: ExitStack, scratch: Path) -> tuple[TeamsConfig, EmailConfig]:
    from tests.notifier.smtp_standin import PASSWORD, USERNAME, SmtpStandIn, tls_files
    from tests.notifier.teams_standin import TeamsStandIn

    teams = TeamsStandIn().start()
    stack.callback(teams.stop)
    smtp = SmtpStandIn(*tls_files(scratch)).start()
    stack.callback(smtp.stop)
    return TeamsConfig(webhook_url=teams.url), EmailConfig(
        host="127.0.0.1",
        port=smtp.port,
        username=USERNAME,
        password=PASSWORD,
        sender="alerts@bench.test",
        ca_file=str(smtp.cert),
    )


if __name__ == "__main__":
    main()
