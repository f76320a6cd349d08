"""Alerts as Slack Block Kit messages that read like the alert examples in the design.

Pure functions: an ``Alert`` (one row of marts.alerts) in, a ``Message`` (fallback text, blocks,
metadata carrying the delivery key) out. Each alert type's headings and emoji come from the dbt
seed alert_types (``notifier.alert_types``). Critical alerts get a message each; the rest are
listed in one digest per recipient, split so that no message passes Slack's block limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from notifier.alert_types import alert_types
from notifier.buttons import alert_block_id, alert_buttons, digest_menu

#: Separator of the lines in the mart's details, factors and suggested_actions columns.
LINE_SEPARATOR = "; "
#: Alerts listed per digest message (a section each, well under Slack's 50 blocks).
DIGEST_ALERTS_PER_MESSAGE = 20
#: Slack's limits: header text 150 characters, section text 3000.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
#: Critical alerts sent one by one per destination and run; further ones join the digest.
IMMEDIATE_LIMIT_PER_DESTINATION = 20
#: Message metadata event type; reconciliation finds sent messages by it.
METADATA_EVENT_TYPE = "ciw_alert_delivery"

#: Urgency tiers of the customer-success design: a message at once, the daily digest, the
#: weekly digest (``alert_urgency`` in the dbt project maps severities to them).
URGENCY_TIERS = ("immediate", "within_24h", "within_week")

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}

#: The emoji of an alert type without its own (seed alert_types): its severity's.
SEVERITY_EMOJI = {"critical": "🚨", "high": "⚠️", "medium": "🟡", "low": "🟢"}


@dataclass(frozen=True)
class Alert:
    """One row of marts.alerts, as the notifier needs it."""

    alert_id: str
    alert_type: str
    entity_type: str
    entity_id: str
    entity_name: str | None
    severity: str
    delivery_mode: str
    title: str
    details: str | None
    factors: str | None
    suggested_actions: str | None
    owner_name: str | None
    recipient: str
    cc_recipient: str | None
    as_of_date: date
    created_at: datetime
    owner_user_id: str | None = None
    #: ``immediate``, ``within_24h`` or ``within_week`` (the mart's column); None on rows built
    #: before it: critical ones immediate, the rest the daily digest, as before tiers.
    urgency: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Alert:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    @property
    def tier(self) -> str:
        """The urgency tier: a message at once, the daily digest or the weekly digest."""
        if self.urgency in URGENCY_TIERS:
            return self.urgency
        return "immediate" if self.delivery_mode == "immediate" else "within_24h"

    @property
    def destinations(self) -> tuple[str, ...]:
        """Where the alert goes: the recipient, and the copied manager when there is one."""
        if self.cc_recipient and self.cc_recipient != self.recipient:
            return (self.recipient, self.cc_recipient)
        return (self.recipient,)


@dataclass(frozen=True)
class Message:
    """One Slack message to one destination, covering one or more alerts."""

    destination: str
    kind: str  # "immediate" or "digest"
    alert_ids: tuple[str, ...]
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivery_key(self) -> str:
        """Stable id of this message: the same alerts to the same destination, the same key."""
        joined = "|".join((self.destination, self.kind, *sorted(self.alert_ids)))
        return hashlib.md5(joined.encode()).hexdigest()

    @property
    def metadata(self) -> dict[str, Any]:
        """Slack message metadata: lets a restart find a message it sent but did not log."""
        return {
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"delivery_key": self.delivery_key, "alert_ids": list(self.alert_ids)},
        }


def split_lines(text: str | None) -> list[str]:
    """The lines of a details / factors / actions column (empty when null)."""
    if not text:
        return []
    return [line.strip() for line in text.split(LINE_SEPARATOR) if line.strip()]


def emoji(alert: Alert) -> str:
    """The alert type's emoji (seed alert_types), else its severity's; 🔔 for an unknown type."""
    known = alert_types().get(alert.alert_type)
    if known is None:
        return "🔔"
    return known.emoji or SEVERITY_EMOJI.get(alert.severity, "⚠️")


def headings(alert_type: str) -> tuple[str, str, str]:
    """Header, factors heading and actions heading of an alert type (seed alert_types)."""
    known = alert_types().get(alert_type)
    if known is None:
        return (alert_type.replace("_", " ").title(), "Factors", "Recommended Actions")
    return (known.heading, known.factors_heading, known.actions_heading)


def _bold_key(line: str) -> str:
    """'Risk Score: 82/100' -> '*Risk Score:* 82/100' (lines without a key stay as they are)."""
    key, separator, value = line.partition(": ")
    if not separator or len(key) > 40:
        return _escape(line)
    return f"*{_escape(key)}:* {_escape(value)}"


def _escape(text: str) -> str:
    """Slack mrkdwn control characters as entities, so data cannot break the formatting."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _mention(destination: str) -> str:
    """A Slack member id as a mention; channels as they are."""
    return f"<@{destination}>" if destination[:1] in ("U", "W") else destination


def alert_text(alert: Alert) -> str:
    """The alert as plain text, laid out like the examples (notification and fallback text)."""
    header, factors_heading, actions_heading = headings(alert.alert_type)
    lines = [f"{emoji(alert)} {header}", "", alert.title]
    lines += split_lines(alert.details)
    factors = split_lines(alert.factors)
    if factors:
        lines += ["", f"{factors_heading}:"] + [f"• {factor}" for factor in factors]
    actions = split_lines(alert.suggested_actions)
    if actions:
        lines += ["", f"{actions_heading}:"]
        lines += [f"{number}. {action}" for number, action in enumerate(actions, 1)]
    return "\n".join(lines)


def _context(alert: Alert, destination: str) -> dict[str, Any]:
    parts = [
        f"*{alert.severity}*",
        alert.alert_type.replace("_", " "),
        f"as of {alert.as_of_date.isoformat()}",
    ]
    if alert.owner_name:
        parts.append(f"owner {_escape(alert.owner_name)}")
    if destination != alert.recipient:
        parts.append(f"copied to you (sent to {_mention(alert.recipient)})")
    parts.append(f"feedback: `ciw feedback {alert.alert_id}`")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def render_alert(alert: Alert, destination: str) -> Message:
    """One alert as its own message: header, key figures, factors, actions, context."""
    header, factors_heading, actions_heading = headings(alert.alert_type)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{emoji(alert)} {header}"[:HEADER_LIMIT]},
        },
        _section(
            "\n".join(
                [f"*{_escape(alert.title)}*"]
                + [_bold_key(line) for line in split_lines(alert.details)]
            )
        ),
    ]
    factors = split_lines(alert.factors)
    if factors:
        bullets = "\n".join(f"• {_escape(factor)}" for factor in factors)
        blocks.append(_section(f"*{factors_heading}:*\n{bullets}"))
    actions = split_lines(alert.suggested_actions)
    if actions:
        numbered = "\n".join(
            f"{number}. {_escape(action)}" for number, action in enumerate(actions, 1)
        )
        blocks.append(_section(f"*{actions_heading}:*\n{numbered}"))
    blocks.append(_context(alert, destination))
    blocks += alert_buttons(alert.alert_id)
    return Message(
        destination=destination,
        kind="immediate",
        alert_ids=(alert.alert_id,),
        text=alert_text(alert),
        blocks=blocks,
    )


def _digest_line(alert: Alert) -> str:
    details = split_lines(alert.details)
    factors = split_lines(alert.factors)
    actions = split_lines(alert.suggested_actions)
    lines = [f"{emoji(alert)} *{_escape(alert.title)}* ({alert.severity})"]
    summary = " · ".join(_escape(line) for line in (details[:1] + factors[:1]))
    if summary:
        lines.append(summary)
    if actions:
        lines.append(f"_Next:_ {_escape(actions[0])} · `{alert.alert_id[:12]}`")
    return "\n".join(lines)


def sort_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """Most severe first, then by type and title, so digests read the same on every run."""
    return sorted(
        alerts,
        key=lambda alert: (SEVERITY_ORDER.get(alert.severity, 9), alert.alert_type, alert.title),
    )


def render_digest(
    destination: str, alerts: Sequence[Alert], day: date, kind: str = "digest"
) -> list[Message]:
    """The daily digest of one destination: its non-critical alerts, most severe first, in as
    many messages as needed to stay within Slack's limits (each says which part it is)."""
    ordered = sort_alerts(alerts)
    chunks = [
        ordered[start : start + DIGEST_ALERTS_PER_MESSAGE]
        for start in range(0, len(ordered), DIGEST_ALERTS_PER_MESSAGE)
    ]
    counts: dict[str, int] = {}
    for alert in ordered:
        counts[alert.severity] = counts.get(alert.severity, 0) + 1
    noun = "alert" if len(ordered) == 1 else "alerts"
    tally = ", ".join(
        f"{counts[severity]} {severity}" for severity in SEVERITY_ORDER if severity in counts
    )
    messages = []
    for index, chunk in enumerate(chunks, 1):
        part = f" ({index}/{len(chunks)})" if len(chunks) > 1 else ""
        heading = "Weekly alert digest" if kind == "weekly" else "Daily alert digest"
        header = f"📋 {heading}, {day.isoformat()}{part}"
        intro = f"{_mention(destination)}: {len(ordered)} {noun} ({tally})."
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": header[:HEADER_LIMIT]}},
            _section(intro),
            {"type": "divider"},
        ]
        blocks += [
            {
                **_section(_digest_line(alert)),
                "block_id": alert_block_id(alert.alert_id),
                "accessory": digest_menu(alert.alert_id),
            }
            for alert in chunk
        ]
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Rate an alert: `ciw feedback <alert id> --accuracy ...`",
                    }
                ],
            }
        )
        text = "\n".join(
            [header, intro] + [f"• {alert.title} ({alert.severity})" for alert in chunk]
        )
        messages.append(
            Message(
                destination=destination,
                kind=kind,
                alert_ids=tuple(alert.alert_id for alert in chunk),
                text=text,
                blocks=blocks,
            )
        )
    return messages


def plan_messages(
    due: Iterable[tuple[Alert, str]],
    day: date,
    immediate_limit: int = IMMEDIATE_LIMIT_PER_DESTINATION,
) -> list[Message]:
    """The messages for the (alert, destination) pairs still due: one per ``immediate`` alert
    and destination (at most ``immediate_limit`` per destination and run, so a flood of critical
    scores cannot hold a channel for an hour at one message a second; the rest join the daily
    digest), then per destination one daily digest of the ``within_24h`` alerts and one weekly
    digest of the ``within_week`` ones (each in parts when long)."""
    pairs = list(due)
    order = {alert.alert_id: rank for rank, alert in enumerate(sort_alerts(a for a, _ in pairs))}
    immediate: list[Message] = []
    sent_at_once: dict[str, int] = {}
    digests: dict[tuple[str, str], list[Alert]] = {}
    for alert, destination in sorted(pairs, key=lambda pair: (order[pair[0].alert_id], pair[1])):
        if alert.tier == "immediate" and sent_at_once.get(destination, 0) < immediate_limit:
            sent_at_once[destination] = sent_at_once.get(destination, 0) + 1
            immediate.append(render_alert(alert, destination))
        else:
            kind = "weekly" if alert.tier == "within_week" else "digest"
            digests.setdefault((kind, destination), []).append(alert)
    messages = immediate
    for kind, destination in sorted(digests):
        messages += render_digest(destination, digests[kind, destination], day, kind)
    return messages
