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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from notifier.channels import Channel, email_channel, slack_channel, teams_channel
from notifier.config import NotifierError, SlackConfig, SlackDown, WebhookAmbiguous
from notifier.due import (
    channel_of,
    channel_of_mode,
    deliverable,
    due_pairs,
    log_destination,
    oldest_deliverable,
)
from notifier.email import EmailConfig
from notifier.messages import Alert, Message
from notifier.people import users_by_id
from notifier.report import DeliveryReport
from notifier.retrying import OutcomeUnknown, SlackUnavailable, SlackUnsettled
from notifier.review import hold_for_review
from notifier.slack import RefusedForGood, Retrying, SlackRefused, Transport
from notifier.store import DELIVERIES_TABLE, LogRow, Store, open_store, utc_now
from notifier.teams import TeamsConfig
from warehouse.settings import Settings

#: Alerts older than this are not delivered any more (a backfill must not page anyone).
DEFAULT_MAX_AGE = timedelta(hours=72)
#: A ``sending`` claim younger than this may belong to a run still in flight: left alone.
DEFAULT_STALE_AFTER = timedelta(minutes=10)


#: Calls whose lost answers are counted as such in the report (writes, not look-ups).
WRITE_CALLS = ("chat.postMessage", "webhook", "teams", "email")


def count_retries(report: DeliveryReport, *retryings: Retrying) -> None:
    """Copy the retry counters of a run (one ``Retrying`` per channel) into its report."""
    report.waited_seconds = sum(sum(retrying.waits) for retrying in retryings)
    report.answers_lost = sum(
        retrying.unsure_outcomes[call] for retrying in retryings for call in WRITE_CALLS
    )
    report.lookups = sum(retrying.lookups for retrying in retryings)
    report.resent_unsure = sum(retrying.repeated_unsure["webhook"] for retrying in retryings)


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
    channel = channel_of_mode(transport.mode)
    for row in store.log_rows():
        if row.status != "sending" or row.claimed_at > now - stale_after:
            continue
        if channel_of(row.destination) == channel:  # each channel settles its own claims
            interrupted.setdefault(row.delivery_key, []).append(row)
    for key, rows in sorted(interrupted.items()):
        first = rows[0]
        destination = first.destination.removeprefix("outbox:")
        if transport.mode == "webhook" and webhook_ambiguous == "retry":
            store.release(key)
            report.reconciled_resent += len(rows)
            continue
        if transport.mode in ("webhook", "teams", "email"):
            store.mark_unknown(
                key, f"interrupted by a crash; a {transport.mode} message cannot be read back"
            )
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
        except RefusedForGood as refused:
            store.refuse(message.delivery_key, str(refused))
            report.refused += len(pairs)
            continue
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


def channels_for(
    store: Store,
    alerts: Sequence[Alert],
    config: SlackConfig,
    outbox_path: Path,
    sleep: Callable[[float], None],
    teams: TeamsConfig | None = None,
    email: EmailConfig | None = None,
) -> list[Channel]:
    """Slack, then Teams and email when configured (settings from the environment)."""
    teams = teams or TeamsConfig.from_env()
    email = email or EmailConfig.from_env()
    channels = [slack_channel(config, outbox_path, sleep)]
    if teams.webhook_url:
        channels.append(teams_channel(teams, sleep))
    if email.enabled:
        owners = {alert.owner_user_id for alert in alerts if alert.owner_user_id}
        users = users_by_id(store.session, owners)
        emails = {user_id: user.email for user_id, user in users.items() if user.email}
        channels.append(email_channel(email, emails, sleep))
    return channels


def deliver_channel(
    store: Store,
    channel: Channel,
    alerts: Sequence[Alert],
    report: DeliveryReport,
    now: datetime,
    stale_after: timedelta,
    webhook_ambiguous: WebhookAmbiguous,
) -> Retrying:
    """One channel's share of a run: reconcile its interrupted claims, then send what is due."""
    transport, retrying = channel.make_transport()
    with closing(transport):
        transport.check()
        reconcile(store, transport, report, now, stale_after, webhook_ambiguous)
        due, skipped = due_pairs(alerts, store.log_rows(), channel.mode, channel.destinations_of)
        report.already_delivered += skipped
        send_messages(store, transport, channel.plan(due, now.date()), report, now)
    return retrying


@contextmanager
def closing(transport: Transport) -> Iterator[Transport]:
    """Close the transport's connection (SMTP keeps one open) however the sending ends."""
    try:
        yield transport
    finally:
        close = getattr(transport, "close", None)
        if close is not None:
            close()


def deliver_messages(
    store: Store,
    transport: Transport,
    messages: Sequence[Message],
    report: DeliveryReport,
    now: datetime,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> None:
    """Messages planned elsewhere (the executive report) under the same claim / confirm rules."""
    store.ensure_log()
    with closing(transport):
        transport.check()
        reconcile(store, transport, report, now, stale_after)
        send_messages(store, transport, messages, report, now)


def deliver_pending(
    settings: Settings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    config: SlackConfig | None = None,
    teams: TeamsConfig | None = None,
    email: EmailConfig | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Deliver the alerts of marts.alerts whose time has come (``deliverable``) that the
    delivery log does not show as delivered, on every configured channel in turn (Slack, then
    Teams and email). ``dry_run`` renders the messages (``planned``) and touches neither the
    channels nor the log. Channel settings come from the environment unless given."""
    now = now or utc_now()
    config = config or SlackConfig.from_env()
    outbox_path = settings.artifacts_dir / "outbox" / f"slack-{now:%Y-%m-%d}.jsonl"
    report = DeliveryReport(mode=config.mode, dry_run=dry_run)
    retryings: list[Retrying] = []
    with open_store(settings) as store:
        alerts = deliverable(store.recent_alerts(oldest_deliverable(now, max_age)), now, max_age)
        reviewed = hold_for_review(store, alerts)  # deal scores > 90 wait for a manager
        alerts, report.held_for_review = reviewed.alerts, reviewed.held
        report.withheld_by_review = reviewed.withheld
        report.alerts_considered = len(alerts)
        channels = channels_for(store, alerts, config, outbox_path, sleep, teams, email)
        report.channels = [channel.kind for channel in channels]
        if dry_run:
            log = store.log_rows() if store.table_exists(DELIVERIES_TABLE) else []
            for channel in channels:
                due, skipped = due_pairs(alerts, log, channel.mode, channel.destinations_of)
                report.already_delivered += skipped
                report.planned += channel.plan(due, now.date())
            for message in report.planned:
                report.messages_by_kind[message.kind] += 1
                report.messages_by_destination[message.destination] += 1
                report.deliveries += len(message.alert_ids)
            return report
        store.ensure_log()
        try:
            for channel in channels:
                retryings.append(
                    deliver_channel(
                        store, channel, alerts, report, now, stale_after, config.webhook_ambiguous
                    )
                )
        except SlackDown as down:
            if not (report.messages or report.unknown or report.unsettled or report.failed):
                raise
            raise SlackDown(f"{down}; before stopping, this run {report.summary()}") from None
        finally:
            count_retries(report, *retryings)
    if config.mode == "outbox" and report.messages_by_kind:
        report.outbox_path = str(outbox_path)
    return report
