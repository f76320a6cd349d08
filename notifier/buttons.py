"""Block Kit interactivity on alert messages: the buttons, the rating menus, and the message as
``chat.update`` rewrites it after a click (the new status and who set it).

An alert message carries an ``actions`` block (Acknowledge, Assign to me, Resolve) and a
rating block: the four feedback ratings of ``notifier.feedback`` as menus, sent with one button.
A digest line carries the three lifecycle actions as an overflow menu. Every element says which
alert it is about in its ``value``, so a click needs nothing but the payload Slack posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from notifier.ratings import ACCURACY, EFFECTIVENESS, PRIORITIES, RELEVANCE

ACK, ASSIGN_ME, RESOLVE = "ciw_ack", "ciw_assign_me", "ciw_resolve"
SEND_RATING = "ciw_rate_send"
DIGEST_MENU = "ciw_digest_menu"
ACTIONS_BLOCK, RATING_BLOCK = "ciw_actions", "ciw_rating"
#: The rating menus: action id -> (feedback column, placeholder, choices).
RATING_MENUS: dict[str, tuple[str, str, Sequence[object]]] = {
    "ciw_rate_accuracy": ("alert_accuracy", "Accuracy", ACCURACY),
    "ciw_rate_relevance": ("alert_relevance", "Relevance", RELEVANCE),
    "ciw_rate_effectiveness": ("action_effectiveness", "Action effectiveness", EFFECTIVENESS),
    "ciw_rate_priority": ("priority_rating", "Priority 1-5", PRIORITIES),
}
#: Lifecycle actions: action id -> (button label, target status or None for "assign to me").
LIFECYCLE_ACTIONS: dict[str, tuple[str, str | None]] = {
    ACK: ("Acknowledge", "acknowledged"),
    ASSIGN_ME: ("Assign to me", None),
    RESOLVE: ("Resolve", "resolved"),
}
STATUS_LABELS = {
    "open": "🔔 Open",
    "acknowledged": "👀 Acknowledged",
    "in_progress": "🛠️ In progress",
    "resolved": "✅ Resolved",
    "dismissed": "🚫 Dismissed",
}


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label), "value": value}


def alert_block_id(alert_id: str) -> str:
    return f"ciw_alert:{alert_id}"


def status_block_id(alert_id: str) -> str:
    return f"ciw_status:{alert_id}"


def alert_buttons(alert_id: str) -> list[dict[str, Any]]:
    """The blocks under one alert's message: lifecycle buttons, then the rating menus."""
    buttons = []
    for action_id, (label, _) in LIFECYCLE_ACTIONS.items():
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": _text(label),
            "value": alert_id,
        }
        if action_id == ACK:
            button["style"] = "primary"
        buttons.append(button)
    menus: list[dict[str, Any]] = [
        {
            "type": "static_select",
            "action_id": action_id,
            "placeholder": _text(placeholder),
            "options": [_option(str(choice).replace("_", " "), str(choice)) for choice in choices],
        }
        for action_id, (_, placeholder, choices) in RATING_MENUS.items()
    ]
    send = {
        "type": "button",
        "action_id": SEND_RATING,
        "text": _text("Send rating"),
        "value": alert_id,
    }
    return [
        {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons},
        {"type": "actions", "block_id": RATING_BLOCK, "elements": [*menus, send]},
    ]


def digest_menu(alert_id: str) -> dict[str, Any]:
    """The overflow menu beside one digest line: the lifecycle actions for that alert."""
    return {
        "type": "overflow",
        "action_id": DIGEST_MENU,
        "options": [
            _option(label, f"{action_id}:{alert_id}")
            for action_id, (label, _) in LIFECYCLE_ACTIONS.items()
        ],
    }


def status_line(status: str, actor: str, assigned_to: str | None, when: str) -> str:
    """'✅ Resolved by <@U1> · assigned to Sarah · 2026-12-04 17:50 UTC'."""
    parts = [f"{STATUS_LABELS.get(status, status)} by {actor}"]
    if assigned_to:
        parts.append(f"assigned to {assigned_to}")
    parts.append(when)
    return " · ".join(parts)


def with_status(
    blocks: Sequence[dict[str, Any]], alert_id: str, line: str, final: bool
) -> list[dict[str, Any]]:
    """The message's blocks after a click: the alert's status line replaced or added (under
    the alert's digest line, else above the buttons); once final, its controls are gone."""
    status_id = status_block_id(alert_id)
    status = {
        "type": "context",
        "block_id": status_id,
        "elements": [{"type": "mrkdwn", "text": line}],
    }
    kept = [dict(block) for block in blocks if block.get("block_id") != status_id]
    anchor = alert_block_id(alert_id)
    updated: list[dict[str, Any]] = []
    placed = False
    for block in kept:
        block_id = block.get("block_id")
        if block_id == ACTIONS_BLOCK and not placed:
            updated.append(status)
            placed = True
        if final and block_id == ACTIONS_BLOCK:
            continue  # the rating menus stay: an alert is best rated once it is resolved
        if final and block_id == anchor:
            block = {key: value for key, value in block.items() if key != "accessory"}
        updated.append(block)
        if block_id == anchor:
            updated.append(status)
            placed = True
    if not placed:
        updated.append(status)
    return updated
