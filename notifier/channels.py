"""The delivery channels of one notifier run: Slack (bot, webhook or the outbox file), then
Microsoft Teams when ``TEAMS_WEBHOOK_URL`` is set, then email when ``SMTP_HOST`` is set.

A channel says where an alert goes (its log destinations, prefixed by the channel's kind:
``teams:#sales-leadership``, ``email:sarah@acme.com``; Slack's keep their bare form, as in
logs written before other channels existed), how the due pairs become messages, and which
transport sends them. The claim / confirm protocol and the delivery log are the same for all.

* Teams gets the same messages as Slack (immediate alerts, daily and weekly digests), each for
  the Slack recipient it names.
* Email gets the daily and weekly digests per owner (the CRM user's email), with a chart of
  the digest's alerts by severity inline; immediate alerts go to Slack and Teams at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from notifier.config import SlackConfig
from notifier.email import DESTINATION_PREFIX as EMAIL
from notifier.email import EmailConfig, EmailDraft, EmailTransport
from notifier.messages import SEVERITY_ORDER, Alert, Message, plan_messages
from notifier.retrying import Retrying
from notifier.slack import BotTransport, OutboxTransport, Transport, WebhookTransport
from notifier.teams import DESTINATION_PREFIX as TEAMS
from notifier.teams import TeamsConfig, TeamsTransport

Pairs = Sequence[tuple[Alert, str]]
Planner = Callable[[Pairs, date], list[Message]]


@dataclass(frozen=True)
class Channel:
    kind: str
    mode: str
    destinations_of: Callable[[Alert], tuple[str, ...]]
    plan: Planner
    make_transport: Callable[[], tuple[Transport, Retrying]]


def _prefixed(prefix: str, planner: Planner) -> Planner:
    """Plan with the bare destinations (so the text names the recipient as Slack does), then
    give each message its channel's destination (and so its own delivery key)."""

    def planned(due: Pairs, day: date) -> list[Message]:
        bare = [(alert, destination.removeprefix(prefix)) for alert, destination in due]
        return [
            replace(message, destination=prefix + message.destination)
            for message in planner(bare, day)
        ]

    return planned


def slack_channel(
    config: SlackConfig, outbox_path: Path, sleep: Callable[[float], None]
) -> Channel:
    def make() -> tuple[Transport, Retrying]:
        retrying = Retrying(config, sleep=sleep)
        if config.mode == "bot":
            return BotTransport(config, retrying), retrying
        if config.mode == "webhook":
            return WebhookTransport(config, retrying), retrying
        return OutboxTransport(outbox_path), retrying

    return Channel("slack", config.mode, lambda alert: alert.destinations, plan_messages, make)


def teams_channel(config: TeamsConfig, sleep: Callable[[float], None]) -> Channel:
    def make() -> tuple[Transport, Retrying]:
        retrying = Retrying(config.retry_policy(), sleep=sleep)
        return TeamsTransport(config, retrying), retrying

    return Channel(
        "teams",
        "teams",
        lambda alert: tuple(TEAMS + destination for destination in alert.destinations),
        _prefixed(TEAMS, plan_messages),
        make,
    )


def severity_chart(alerts: Sequence[Alert]) -> bytes:
    """A small bar chart (PNG) of the alerts by severity, for the email digest."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = {severity: 0 for severity in SEVERITY_ORDER}
    for alert in alerts:
        counts[alert.severity] = counts.get(alert.severity, 0) + 1
    figure, axis = plt.subplots(figsize=(6, 2.2))
    axis.bar(
        list(counts), list(counts.values()), color=["#b71c1c", "#ef6c00", "#f9a825", "#2e7d32"]
    )
    axis.set_title("Alerts in this digest by severity")
    axis.set_ylabel("alerts")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()


def email_channel(
    config: EmailConfig, owner_emails: dict[str, str], sleep: Callable[[float], None]
) -> Channel:
    def destinations(alert: Alert) -> tuple[str, ...]:
        address = owner_emails.get(alert.owner_user_id or "")
        if alert.tier == "immediate" or not address:
            return ()
        return (EMAIL + address,)

    def plan(due: Pairs, day: date) -> list[Message]:
        by_id = {alert.alert_id: alert for alert, _ in due}
        drafts: list[Message] = []
        for message in _prefixed(EMAIL, plan_messages)(due, day):
            alerts = [by_id[alert_id] for alert_id in message.alert_ids]
            heading = "Weekly" if message.kind == "weekly" else "Daily"
            drafts.append(
                EmailDraft(
                    **{name: getattr(message, name) for name in Message.__dataclass_fields__},
                    subject=f"{heading} alert digest {day.isoformat()}: {len(alerts)} alerts",
                    images=(("severity-chart", severity_chart(alerts)),),
                )
            )
        return drafts

    def make() -> tuple[Transport, Retrying]:
        retrying = Retrying(config.retry_policy(), sleep=sleep)
        return EmailTransport(config, retrying), retrying

    return Channel("email", "email", destinations, plan, make)
