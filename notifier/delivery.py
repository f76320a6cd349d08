"""``deliver_pending``: send the alerts the delivery log does not yet show as sent.

Exactly once per (alert, destination): each message is claimed in ops.alert_deliveries as
``sending`` before the Slack call and confirmed as ``sent`` after it; an answer lost after
Slack may have posted is settled by a look-up (bot) or recorded as ``unknown`` (webhook),
never resent blind. A run first reconciles claims left ``sending`` by a run that crashed or
could not settle a lost answer (see docs/alerts.md), then plans the due messages - one per
critical alert, one digest per destination for the rest - and sends them in order, pacing and
retrying in ``notifier.slack``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from notifier.config import NotifierError, SlackConfig, SlackDown, WebhookAmbiguous
from notifier.messages import Alert, Message, plan_messages
from notifier.retrying import OutcomeUnknown, SlackUnavailable, SlackUnsettled
from notifier.slack import (
    BotTransport,
    OutboxTransport,
    Retrying,
    SlackRefused,
    Transport,
    WebhookTransport,
)
from notifier.store import DELIVERIES_TABLE, LogRow, Store, open_store
from warehouse.settings import Settings

#: Alerts older than this are not delivered any more (a backfill must not page anyone).
DEFAULT_MAX_AGE = timedelta(hours=72)
#: A ``sending`` claim younger than this may belong to a run still in flight: left alone.
DEFAULT_STALE_AFTER = timedelta(minutes=10)


@dataclass
class DeliveryReport:
    """What one notifier run did; ``summary()`` is the line the CLI prints."""

    mode: str
    dry_run: bool = False
    alerts_considered: int = 0
    messages_by_kind: Counter[str] = field(default_factory=Counter)
    messages_by_destination: Counter[str] = field(default_factory=Counter)
    deliveries: int = 0  # (alert, destination) pairs delivered in this run
    already_delivered: int = 0
    reconciled_sent: int = 0  # crashed claims found in Slack: confirmed, not resent
    reconciled_resent: int = 0  # crashed claims not found: due again
    unknown: int = 0  # webhook deliveries that may or may not have arrived: never resent
    unsettled: int = 0  # answer lost and the look-up inconclusive: left ``sending``
    answers_lost: int = 0  # chat.postMessage / webhook answers lost (5xx, reset, timeout, ...)
    lookups: int = 0  # conversations.history look-ups that settled them
    resent_unsure: int = 0  # webhook messages resent after a lost answer (at least once)
    failed: int = 0
    waited_seconds: float = 0.0
    outbox_path: str | None = None
    planned: list[Message] = field(default_factory=list, repr=False)

    @property
    def messages(self) -> int:
        return sum(self.messages_by_kind.values())

    def summary(self) -> str:
        verb = "would send" if self.dry_run else ("wrote" if self.mode == "outbox" else "sent")
        kinds = ", ".join(
            f"{count} {kind}" for kind, count in sorted(self.messages_by_kind.items())
        )
        parts = [
            f"{verb} {self.messages} messages ({kinds or 'none'}) covering"
            f" {self.deliveries} alert deliveries"
            f" to {len(self.messages_by_destination)} destinations",
            f"{self.already_delivered} already delivered",
        ]
        if self.reconciled_sent or self.reconciled_resent:
            parts.append(
                f"reconciled {self.reconciled_sent + self.reconciled_resent} interrupted "
                f"({self.reconciled_sent} found in Slack, {self.reconciled_resent} resent)"
            )
        if self.answers_lost and self.mode == "bot":
            parts.append(
                f"{self.answers_lost} lost answers checked with {self.lookups} history look-ups"
            )
        if self.unknown or self.mode == "webhook":
            parts.append(
                f"{self.unknown} unknown (webhook answer lost or run interrupted; never resent)"
            )
        if self.resent_unsure:
            parts.append(
                f"{self.resent_unsure} webhook messages resent after a lost answer"
                " (SLACK_WEBHOOK_AMBIGUOUS=retry: at least once, possibly twice)"
            )
        if self.unsettled:
            parts.append(
                f"{self.unsettled} left sending (answer lost, look-up inconclusive):"
                " the next run reconciles them"
            )
        if self.failed:
            parts.append(f"{self.failed} refused by Slack (retried next run)")
        if self.outbox_path:
            parts.append(f"no Slack credentials: messages are in {self.outbox_path}")
        return "; ".join(parts)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the week ``now`` falls in."""
    return datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())


def oldest_deliverable(now: datetime, max_age: timedelta) -> datetime:
    return min(now - max_age, week_start(now) - timedelta(days=7))


def deliverable(alerts: Iterable[Alert], now: datetime, max_age: timedelta) -> list[Alert]:
    """The alerts whose time has come: ``immediate`` and ``within_24h`` ones created within
    ``max_age``; ``within_week`` ones created last week (Monday to Sunday), so the first run
    of a week sends the weekly digest and a failed Monday is made up on Tuesday."""
    this_week = week_start(now)
    chosen = []
    for alert in alerts:
        if alert.tier == "within_week":
            if this_week - timedelta(days=7) <= alert.created_at < this_week:
                chosen.append(alert)
        elif alert.created_at >= now - max_age:
            chosen.append(alert)
    return chosen


def log_destination(destination: str, mode: str) -> str:
    """The log's destination: outbox copies are kept apart, so Slack still gets them later."""
    return f"outbox:{destination}" if mode == "outbox" else destination


def due_pairs(
    alerts: Iterable[Alert], log: Iterable[LogRow], mode: str
) -> tuple[list[tuple[Alert, str]], int]:
    """(alert, destination) pairs with no finished or in-flight log row, and how many had one."""
    taken = {(row.alert_id, row.destination) for row in log if row.status != "failed"}
    due: list[tuple[Alert, str]] = []
    skipped = 0
    for alert in alerts:
        for destination in alert.destinations:
            if (alert.alert_id, log_destination(destination, mode)) in taken:
                skipped += 1
            else:
                due.append((alert, destination))
    return due, skipped


def count_retries(report: DeliveryReport, retrying: Retrying) -> None:
    """Copy the retry counters of a run into its report."""
    report.waited_seconds = sum(retrying.waits)
    report.answers_lost = (
        retrying.unsure_outcomes["chat.postMessage"] + retrying.unsure_outcomes["webhook"]
    )
    report.lookups = retrying.lookups
    report.resent_unsure = retrying.repeated_unsure["webhook"]


def make_transport(
    config: SlackConfig, outbox_path: str, sleep: Callable[[float], None]
) -> tuple[Transport, Retrying]:
    from pathlib import Path

    retrying = Retrying(config, sleep=sleep)
    if config.mode == "bot":
        return BotTransport(config, retrying), retrying
    if config.mode == "webhook":
        return WebhookTransport(config, retrying), retrying
    return OutboxTransport(Path(outbox_path)), retrying


def reconcile(
    store: Store,
    transport: Transport,
    report: DeliveryReport,
    now: datetime,
    stale_after: timedelta,
    webhook_ambiguous: WebhookAmbiguous = "skip",
) -> None:
    """Settle claims a crashed run left ``sending``: confirmed when Slack (or the outbox file)
    has the message, released to be sent again when it certainly has not. Webhook claims cannot
    be checked: ``unknown`` (never resent) under ``skip``, released (sent again, at least once)
    under ``retry``. When the look-up fails the claims stay ``sending`` for a later run:
    releasing them could send a message twice."""
    interrupted: dict[str, list[LogRow]] = {}
    for row in store.log_rows():
        if row.status == "sending" and row.claimed_at <= now - stale_after:
            interrupted.setdefault(row.delivery_key, []).append(row)
    for key, rows in sorted(interrupted.items()):
        first = rows[0]
        destination = first.destination.removeprefix("outbox:")
        if transport.mode == "webhook" and webhook_ambiguous == "retry":
            store.release(key)
            report.reconciled_resent += len(rows)
            continue
        if transport.mode == "webhook":
            store.mark_unknown(key, "interrupted by a crash; a webhook cannot be read back")
            report.unknown += len(rows)
            continue
        try:
            posted = transport.find(key, destination, first.claimed_at)
        except SlackDown as down:
            raise SlackDown(
                f"{down}; interrupted deliveries stay sending until a look-up settles them"
            ) from None
        if posted is None:
            store.release(key)
            report.reconciled_resent += len(rows)
        else:
            store.confirm(
                key, posted.status, sent_at=now, channel_id=posted.channel_id, slack_ts=posted.ts
            )
            report.reconciled_sent += len(rows)


def send_messages(
    store: Store,
    transport: Transport,
    messages: Sequence[Message],
    report: DeliveryReport,
    now: datetime,
) -> None:
    for message in messages:
        destination = log_destination(message.destination, transport.mode)
        pairs = [(alert_id, destination) for alert_id in message.alert_ids]
        if not store.claim(pairs, message.kind, message.delivery_key, now):
            report.already_delivered += len(pairs)
            continue
        try:
            posted = transport.post(message)
        except SlackRefused as refused:
            store.fail(message.delivery_key, str(refused))
            report.failed += len(pairs)
            continue
        except OutcomeUnknown as unknown:
            store.mark_unknown(message.delivery_key, str(unknown))
            report.unknown += len(pairs)
            continue
        except SlackUnsettled as unsettled:
            report.unsettled += len(pairs)
            raise SlackDown(
                f"{unsettled}; its delivery stays sending for the next run to reconcile"
            ) from None
        except SlackUnavailable as unavailable:
            store.release(message.delivery_key)
            raise SlackDown(
                f"{unavailable}; undelivered alerts stay pending for the next run"
            ) from None
        except NotifierError:
            store.release(message.delivery_key)
            raise
        store.confirm(
            message.delivery_key,
            posted.status,
            sent_at=utc_now(),
            channel_id=posted.channel_id,
            slack_ts=posted.ts,
        )
        report.messages_by_kind[message.kind] += 1
        report.messages_by_destination[message.destination] += 1
        report.deliveries += len(pairs)


def deliver_pending(
    settings: Settings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    config: SlackConfig | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Deliver the alerts of marts.alerts created within ``max_age`` before ``now`` that the
    delivery log does not show as delivered. ``dry_run`` renders the messages (``planned``)
    and touches neither Slack nor the log. Slack settings come from the environment."""
    now = now or utc_now()
    config = config or SlackConfig.from_env()
    outbox_path = settings.artifacts_dir / "outbox" / f"slack-{now:%Y-%m-%d}.jsonl"
    report = DeliveryReport(mode=config.mode, dry_run=dry_run)
    with open_store(settings) as store:
        alerts = deliverable(store.recent_alerts(oldest_deliverable(now, max_age)), now, max_age)
        report.alerts_considered = len(alerts)
        if dry_run:
            log = store.log_rows() if store.table_exists(DELIVERIES_TABLE) else []
            due, report.already_delivered = due_pairs(alerts, log, config.mode)
            report.planned = plan_messages(due, now.date())
            for message in report.planned:
                report.messages_by_kind[message.kind] += 1
                report.messages_by_destination[message.destination] += 1
                report.deliveries += len(message.alert_ids)
            return report
        store.ensure_log()
        transport, retrying = make_transport(config, str(outbox_path), sleep)
        try:
            transport.check()
            reconcile(store, transport, report, now, stale_after, config.webhook_ambiguous)
            due, skipped = due_pairs(alerts, store.log_rows(), config.mode)
            report.already_delivered += skipped
            send_messages(store, transport, plan_messages(due, now.date()), report, now)
        except SlackDown as down:
            count_retries(report, retrying)
            if not (report.messages or report.unknown or report.unsettled or report.failed):
                raise
            raise SlackDown(f"{down}; before stopping, this run {report.summary()}") from None
        finally:
            count_retries(report, retrying)
    if config.mode == "outbox" and report.messages:
        report.outbox_path = str(outbox_path)
    return report
