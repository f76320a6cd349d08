"""What is due: which alerts' time has come (urgency tiers), and which (alert, destination)
pairs of a channel the delivery log does not yet show as delivered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from notifier.messages import Alert
from notifier.store import MAX_ATTEMPTS, LogRow


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
    """The log's destination: outbox copies are kept apart, so Slack still gets them later;
    other channels' destinations carry their kind already (``teams:...``, ``email:...``)."""
    return f"outbox:{destination}" if mode == "outbox" else destination


#: Transport modes by channel kind; a log destination names its kind by its prefix.
CHANNEL_MODES = {"slack": ("bot", "webhook", "outbox"), "teams": ("teams",), "email": ("email",)}


def channel_of(destination: str) -> str:
    """``email:a@b`` -> email, ``teams:#x`` -> teams, anything else (Slack's) -> slack."""
    kind, separator, _ = destination.partition(":")
    return kind if separator and kind in ("email", "teams") else "slack"


def channel_of_mode(mode: str) -> str:
    return next(kind for kind, modes in CHANNEL_MODES.items() if mode in modes)


def slack_destinations(alert: Alert) -> tuple[str, ...]:
    return alert.destinations


def due_pairs(
    alerts: Iterable[Alert],
    log: Iterable[LogRow],
    mode: str,
    destinations_of: Callable[[Alert], Sequence[str]] = slack_destinations,
) -> tuple[list[tuple[Alert, str]], int]:
    """(alert, destination) pairs with no finished or in-flight log row, and how many had one
    (a ``failed`` row counts as finished once it used up ``MAX_ATTEMPTS``)."""
    taken = {
        (row.alert_id, row.destination)
        for row in log
        if row.status != "failed" or row.attempts >= MAX_ATTEMPTS
    }
    due: list[tuple[Alert, str]] = []
    skipped = 0
    for alert in alerts:
        for destination in destinations_of(alert):
            if (alert.alert_id, log_destination(destination, mode)) in taken:
                skipped += 1
            else:
                due.append((alert, destination))
    return due, skipped
