"""What a click on an alert message does: the Slack user becomes a CRM user (their
``slack_user_id``), the lifecycle rules decide (``notifier.lifecycle``), and the answer is the
message as ``chat.update`` should rewrite it, or an ephemeral line for the clicker alone.

No HTTP here: ``service/routers/slack_actions.py`` verifies the signature, calls
``handle_click`` and talks to Slack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from notifier.buttons import (
    DIGEST_MENU,
    LIFECYCLE_ACTIONS,
    RATING_BLOCK,
    RATING_MENUS,
    SEND_RATING,
    status_line,
    with_status,
)
from notifier.config import NotifierError
from notifier.lifecycle import (
    Actor,
    LifecycleError,
    NotAllowed,
    change_alert_in,
    current_state,
    may_act,
)
from notifier.people import CrmUser, crm_user, crm_user_by_slack_id
from notifier.store import utc_now
from warehouse.settings import Settings

ALERT_ID = re.compile(r"^[0-9a-f]{8,64}$")
NOT_LINKED = (
    "Your Slack account is not linked to a CRM user (slack_user_id), so this alert cannot be"
    " changed from Slack."
)
NOT_YOURS = "Only the alert's owner or their manager can change this alert."


class BadPayload(ValueError):
    """Not a block_actions payload this endpoint understands: answer 400."""


@dataclass
class ClickOutcome:
    """``update``: kwargs for ``chat.update``; ``ephemeral``: a line for the clicker alone."""

    update: dict[str, Any] | None = None
    ephemeral: str | None = None
    channel: str | None = None
    slack_user: str | None = None
    changed: bool = False
    details: dict[str, Any] = field(default_factory=dict)


def parse_payload(body: bytes) -> dict[str, Any]:
    """The JSON ``payload`` field of Slack's form-encoded POST, checked for what we read."""
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        payload = json.loads(fields["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError, IndexError):
        raise BadPayload("body must be form-encoded with a JSON 'payload' field") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise BadPayload("payload type must be block_actions")
    actions = payload.get("actions")
    user = payload.get("user")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadPayload("payload has no actions")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise BadPayload("payload has no user id")
    return payload


def _clicked(action: dict[str, Any]) -> tuple[str, str]:
    """(action id, alert id) of a button or an overflow option."""
    action_id = str(action.get("action_id") or "")
    value = action.get("value")
    if action_id == DIGEST_MENU:
        option = action.get("selected_option") or {}
        action_id, _, value = str(option.get("value") or "").partition(":")
    if action_id not in (*LIFECYCLE_ACTIONS, SEND_RATING, *RATING_MENUS):
        raise BadPayload(f"unknown action {action_id[:40]!r}")
    alert_id = str(value or "")
    if action_id not in RATING_MENUS and not ALERT_ID.match(alert_id):
        raise BadPayload("action value is not an alert id")
    return action_id, alert_id


def _place(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    container = payload.get("container") or {}
    channel = (payload.get("channel") or {}).get("id") or container.get("channel_id")
    ts = container.get("message_ts") or (payload.get("message") or {}).get("ts")
    return channel, ts


def _ratings(payload: dict[str, Any]) -> dict[str, str] | None:
    """The four chosen ratings from the message's state; None when any is missing."""
    values = ((payload.get("state") or {}).get("values") or {}).get(RATING_BLOCK) or {}
    chosen = {}
    for action_id, (column, _, choices) in RATING_MENUS.items():
        option = (values.get(action_id) or {}).get("selected_option") or {}
        value = str(option.get("value") or "")
        if value not in {str(choice) for choice in choices}:
            return None
        chosen[column] = value
    return chosen


def _mention(user: CrmUser | None, fallback: str) -> str:
    if user is not None and user.slack_user_id:
        return f"<@{user.slack_user_id}>"
    return (user.full_name if user else None) or fallback


def handle_click(
    settings: Settings, payload: dict[str, Any], now: datetime | None = None
) -> ClickOutcome:
    """Apply one click (see the module docstring); raises ``BadPayload`` for a payload that
    names no known action or alert."""
    from warehouse import adapter_for

    action_id, alert_id = _clicked(payload["actions"][0])
    slack_user = payload["user"]["id"]
    channel, ts = _place(payload)
    outcome = ClickOutcome(channel=channel, slack_user=slack_user)
    if action_id in RATING_MENUS:
        return outcome  # a menu choice alone records nothing; "Send rating" does
    now = now or utc_now()
    with adapter_for(settings).session() as session:
        user = crm_user_by_slack_id(session, slack_user)
        if user is None:
            outcome.ephemeral = NOT_LINKED
            return outcome
        actor = Actor.for_user(user, "slack")
        if action_id == SEND_RATING:
            state = current_state(session, alert_id)
            owner = crm_user(session, state.owner_user_id) if state.owner_user_id else None
            if not may_act(actor, state, owner):
                outcome.ephemeral = NOT_YOURS
                return outcome
            return _rate(settings, payload, alert_id, user, now, outcome)
        _, status = LIFECYCLE_ACTIONS[action_id]
        try:
            state, outcome.changed = change_alert_in(
                session,
                alert_id,
                actor,
                status=status,
                assigned_to=user.user_id if status is None else None,
                now=now,
            )
        except NotAllowed:
            outcome.ephemeral = NOT_YOURS
            return outcome
        except LifecycleError as refused:
            outcome.ephemeral = str(refused)
            return outcome
        assignee = crm_user(session, state.assigned_to) if state.assigned_to else None
    message = payload.get("message") or {}
    blocks = message.get("blocks")
    if channel and ts and isinstance(blocks, list):
        line = status_line(
            state.status,
            f"<@{slack_user}>",
            _mention(assignee, state.assigned_to or "") if state.assigned_to else None,
            f"{state.updated_at:%Y-%m-%d %H:%M} UTC",
        )
        outcome.update = {
            "channel": channel,
            "ts": ts,
            "text": str(message.get("text") or state.title),
            "blocks": with_status(blocks, alert_id, line, state.is_final),
        }
    outcome.details = {"alert_id": alert_id, "status": state.status}
    return outcome


def _rate(
    settings: Settings,
    payload: dict[str, Any],
    alert_id: str,
    user: CrmUser,
    now: datetime,
    outcome: ClickOutcome,
) -> ClickOutcome:
    from notifier.feedback import Feedback, record_feedback

    chosen = _ratings(payload)
    if chosen is None:
        outcome.ephemeral = "Pick all four ratings (accuracy, relevance, effectiveness, priority)."
        return outcome
    try:
        record_feedback(
            settings,
            Feedback(
                alert_id=alert_id,
                alert_accuracy=chosen["alert_accuracy"],
                alert_relevance=chosen["alert_relevance"],
                action_effectiveness=chosen["action_effectiveness"],
                priority_rating=int(chosen["priority_rating"]),
                recorded_by=user.user_id,
                recorded_at=now,
                comment="rated in Slack",
            ),
        )
    except NotifierError as refused:
        outcome.ephemeral = str(refused)
        return outcome
    outcome.ephemeral = "Thanks: your rating of this alert is recorded."
    outcome.details = {"alert_id": alert_id, "rated": True}
    return outcome
