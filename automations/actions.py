"""The three actions a rule can take for a customer.

* ``send_message``: a Slack or email message through the notifier's transports and its
  delivery log (ops.alert_deliveries), so a message goes out at most once per rule, customer
  and day even across runs; without Slack credentials Slack messages go to the notifier's
  outbox file, as alerts do.
* ``update_segment``: the customer joins a segment in ops.customer_segments; a rule's matches
  join in bulk (``automations.log.add_to_segment``): the action changes only the warehouse.
* ``trigger_campaign``: a JSON POST to the marketing tool at ``CIW_MARKETING_WEBHOOK_URL``,
  signed with HMAC-SHA256 over ``v1:<unix time>:<body>`` using ``CIW_MARKETING_WEBHOOK_SECRET``
  (headers ``X-CIW-Timestamp``, ``X-CIW-Signature: v1=<hex>``, ``Idempotency-Key``); without a
  URL the request is written to a local outbox file instead.

Each returns ``Outcome``: executed (with a detail) or failed (with the reason); secrets never
appear in either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from automations.rules import Rule
from automations.triggers import Match
from warehouse.adapters import Session
from warehouse.settings import Settings

WEBHOOK_URL_ENV = "CIW_MARKETING_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "CIW_MARKETING_WEBHOOK_SECRET"
SIGNATURE_VERSION = "v1"
WEBHOOK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Outcome:
    executed: bool
    detail: str | None = None
    error: str | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 of ``v1:<timestamp>:<body>`` (the receiver checks it)."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


@dataclass
class ActionContext:
    """What actions share within one run: the warehouse session, transports opened on first use."""

    settings: Settings
    session: Session
    now: datetime
    run_id: str
    clock: Callable[[], float] = time.time
    _transports: dict[str, Any] = field(default_factory=dict)

    def outbox(self, name: str) -> Path:
        path = self.settings.artifacts_dir / "outbox" / f"{name}-{self.now:%Y-%m-%d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        for transport in self._transports.values():
            close = getattr(transport, "close", None)
            if close is not None:
                close()
        self._transports.clear()


def message_text(rule: Rule, match: Match) -> str:
    template = str(rule.param("template", "Automation {rule_id}: customer {customer_id}, {reason}"))
    try:
        return template.format(
            rule_id=rule.rule_id, customer_id=match.customer_id, reason=match.reason
        )
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"template of rule {rule.rule_id} is not usable: {error}") from None


def _transport(context: ActionContext, channel: str) -> Any:
    if channel in context._transports:
        return context._transports[channel]
    if channel == "slack":
        from notifier.channels import slack_channel
        from notifier.config import SlackConfig

        transport, _ = slack_channel(
            SlackConfig.from_env(), context.outbox("slack"), time.sleep
        ).make_transport()
    else:
        from notifier.email import EmailConfig, EmailTransport
        from notifier.retrying import Retrying

        config = EmailConfig.from_env()
        if not config.enabled:
            raise ValueError("email is not configured (set SMTP_HOST, see docs/alerts.md)")
        transport = EmailTransport(config, Retrying(config.retry_policy()))
    transport.check()
    context._transports[channel] = transport
    return transport


def send_message(context: ActionContext, rule: Rule, match: Match) -> Outcome:
    from notifier.config import NotifierError
    from notifier.delivery import send_messages
    from notifier.email import DESTINATION_PREFIX, EmailDraft
    from notifier.messages import Message
    from notifier.report import DeliveryReport
    from notifier.store import Store

    channel = str(rule.param("channel"))
    destination = str(rule.param("destination"))
    delivery_id = f"automation:{rule.rule_id}:{match.customer_id}:{context.now:%Y-%m-%d}"
    try:
        text = message_text(rule, match)
        transport = _transport(context, channel)
    except (ValueError, NotifierError) as error:
        return Outcome(False, error=str(error))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    message: Message
    if channel == "email":
        message = EmailDraft(
            destination=DESTINATION_PREFIX + destination,
            kind="automation",
            alert_ids=(delivery_id,),
            text=text,
            blocks=blocks,
            subject=str(rule.param("subject", f"Customer {match.customer_id}: {rule.rule_id}")),
        )
    else:
        message = Message(destination, "automation", (delivery_id,), text, blocks)
    store = Store(context.session, context.settings)
    store.ensure_log()
    report = DeliveryReport(mode=transport.mode)
    try:
        send_messages(store, transport, [message], report, context.now)
    except NotifierError as error:
        return Outcome(False, error=str(error))
    if report.deliveries or report.already_delivered:
        state = "already sent today" if report.already_delivered else f"sent ({transport.mode})"
        return Outcome(True, detail=f"{channel} message to {destination}: {state}")
    row = context.session.execute(
        "select status, error from ops.alert_deliveries where alert_id = %s", (delivery_id,)
    )
    status, reason = row[0] if row else ("failed", None)
    return Outcome(
        False, error=f"{channel} message to {destination} {status}: {reason or ''}".strip()
    )


def campaign_body(context: ActionContext, rule: Rule, match: Match, execution_id: str) -> bytes:
    payload = {
        "campaign": rule.param("campaign"),
        "customer_id": match.customer_id,
        "rule_id": rule.rule_id,
        "execution_id": execution_id,
        "reason": match.reason,
        "triggered_at": context.now.isoformat(timespec="seconds"),
    }
    return json.dumps(payload, sort_keys=True).encode()


def trigger_campaign(
    context: ActionContext, rule: Rule, match: Match, execution_id: str
) -> Outcome:
    import httpx

    body = campaign_body(context, rule, match, execution_id)
    url = os.environ.get(WEBHOOK_URL_ENV, "").strip()
    campaign = rule.param("campaign")
    if not url:
        path = context.outbox("campaigns")
        with path.open("a", encoding="utf-8") as handle:
            handle.write(body.decode() + "\n")
        return Outcome(
            True, detail=f"campaign {campaign}: written to {path} (no {WEBHOOK_URL_ENV})"
        )
    secret = os.environ.get(WEBHOOK_SECRET_ENV, "")
    if not secret:
        return Outcome(
            False, error=f"{WEBHOOK_SECRET_ENV} is not set: campaigns are only sent signed"
        )
    timestamp = int(context.clock())
    headers = {
        "Content-Type": "application/json",
        "X-CIW-Timestamp": str(timestamp),
        "X-CIW-Signature": sign(secret, timestamp, body),
        "Idempotency-Key": execution_id,
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        return Outcome(False, error=f"marketing tool unreachable: {type(error).__name__}")
    if response.status_code >= 300:
        return Outcome(
            False, error=f"marketing tool answered {response.status_code}: {response.text[:200]}"
        )
    return Outcome(True, detail=f"campaign {campaign}: accepted ({response.status_code})")
