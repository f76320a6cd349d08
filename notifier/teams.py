"""Microsoft Teams through an incoming webhook: each alert message as an Adaptive Card.

Like a Slack webhook, a Teams webhook posts to one fixed channel and cannot be read back: an
answer lost after Teams may have posted (5xx, reset, read timeout, an answer that does not
parse) makes the delivery ``unknown`` (at most once, never resent). 429 (and the legacy
connector's "HTTP 200 with a 429 inside") waits for ``Retry-After`` and is repeated; a 4xx is a
refusal: 401/403/404 stop the run (the URL is wrong or revoked), any other ``refused`` for good.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError

from notifier.answers import Verdict, retry_after
from notifier.config import NotifierError, SlackConfig
from notifier.messages import Message
from notifier.render import adaptive_card, footer_text
from notifier.retrying import Retrying
from notifier.slack import Posted, RefusedForGood

TEAMS_WEBHOOK_ENV = "TEAMS_WEBHOOK_URL"
DESTINATION_PREFIX = "teams:"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
#: What a legacy Office 365 connector answers when it posted the card.
LEGACY_OK_BODY = "1"

Answer = tuple[int, str, dict[str, str]]


@dataclass(frozen=True)
class TeamsConfig:
    webhook_url: str = field(default="", repr=False)
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    #: Teams throttles a webhook at a few messages per second.
    min_interval_seconds: float = 0.25

    @classmethod
    def from_env(cls) -> TeamsConfig:
        return cls(webhook_url=os.environ.get(TEAMS_WEBHOOK_ENV, "").strip())

    def retry_policy(self) -> SlackConfig:
        """The retry and pacing rules shared with the Slack transports."""
        return SlackConfig(
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            min_interval_seconds=self.min_interval_seconds,
        )

    def scrub(self, text: str) -> str:
        return text.replace(self.webhook_url, "***") if self.webhook_url else text


def teams_verdict(answer: Answer) -> Verdict:
    status, body, headers = answer
    if status == 429 or (status == 200 and "429" in body):
        return Verdict("retry", "rate limited (429) by the Teams webhook", retry_after(headers))
    if status >= 500:
        return Verdict("unsure", f"HTTP {status} from the Teams webhook")
    if status == 200 and body.strip() not in (LEGACY_OK_BODY, ""):
        return Verdict("unsure", "unparsable answer (HTTP 200) from the Teams webhook")
    return Verdict("done")


def card_payload(message: Message) -> dict[str, Any]:
    """The webhook body: one Adaptive Card attachment with the Slack message's content."""
    intended = message.destination.removeprefix(DESTINATION_PREFIX)
    card = adaptive_card(message.blocks, f"For {intended}. {footer_text(message.alert_ids)}")
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


class TeamsTransport:
    mode = "teams"

    def __init__(self, config: TeamsConfig, retrying: Retrying) -> None:
        self.config = config
        self.retrying = retrying

    def check(self) -> None:
        """A webhook has no auth test; a bad URL shows on the first message."""

    def _send(self, body: bytes) -> Answer:
        request = urllib.request.Request(
            self.config.webhook_url,
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as answer:
                return answer.status, answer.read().decode("utf-8", "replace"), dict(answer.headers)
        except HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)

    def post(self, message: Message) -> Posted:
        body = json.dumps(card_payload(message), ensure_ascii=False).encode()
        with self.retrying.paced("teams"):
            status, text, _ = self.retrying.call(
                "teams", lambda: self._send(body), teams_verdict, unsure="stop"
            )
        if status in (200, 202):
            return Posted(channel_id=None, ts=None)
        if status in (401, 403, 404):
            raise NotifierError(
                f"Teams rejected {TEAMS_WEBHOOK_ENV} (HTTP {status}): check the webhook URL"
            )
        raise RefusedForGood(f"teams: HTTP {status} {text.strip()[:200]}")

    def find(self, message_key: str, destination: str, since: Any) -> Posted | None:
        return None
