"""Slack settings from the environment; the token and the webhook URL are never printed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["bot", "webhook", "outbox"]
#: What to do when a webhook call may or may not have posted (the answer was lost): ``skip``
#: records it as ``unknown`` and never resends (at most once); ``retry`` sends it again (at
#: least once). The bot token needs no such choice: it looks the message up.
WebhookAmbiguous = Literal["skip", "retry"]
WEBHOOK_AMBIGUOUS_CHOICES: tuple[WebhookAmbiguous, ...] = ("skip", "retry")

DEFAULT_API_URL = "https://slack.com/api/"


class NotifierError(RuntimeError):
    """A problem the user can fix (credentials, a missing table, bad input): one line."""


class SlackDown(NotifierError):
    """Slack kept failing (429s, 5xx, timeouts) after every attempt: a later run may succeed."""


@dataclass(frozen=True)
class SlackConfig:
    """How to reach Slack, and the pacing and retry policy of every call.

    The token wins over the webhook; with neither, messages go to the local outbox file.
    """

    bot_token: str = field(default="", repr=False)
    webhook_url: str = field(default="", repr=False)
    default_channel: str = ""
    api_url: str = DEFAULT_API_URL
    #: Seconds one HTTP call may take before it counts as timed out.
    timeout_seconds: float = 10.0
    #: Attempts per message for 429, 5xx and timeouts (the first included).
    max_attempts: int = 5
    #: First backoff after a 5xx or a timeout; doubles per attempt.
    backoff_seconds: float = 1.0
    #: Slack allows about one message per second per channel.
    min_interval_seconds: float = 1.0
    #: Pause before the second conversations.history look-up, when the first did not find a
    #: message whose answer was lost: the history can lag a moment behind chat.postMessage.
    history_lag_seconds: float = 2.0
    webhook_ambiguous: WebhookAmbiguous = "skip"

    @classmethod
    def from_env(cls) -> SlackConfig:
        api_url = os.environ.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
        return cls(
            bot_token=os.environ.get("SLACK_BOT_TOKEN", "").strip(),
            webhook_url=os.environ.get("SLACK_WEBHOOK_URL", "").strip(),
            default_channel=os.environ.get("SLACK_DEFAULT_CHANNEL", "").strip(),
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            webhook_ambiguous=webhook_ambiguous_from_env(),
        )

    @property
    def mode(self) -> Mode:
        if self.bot_token:
            return "bot"
        if self.webhook_url:
            return "webhook"
        return "outbox"

    def describe(self) -> str:
        """Where messages go, safe to print."""
        if self.mode == "bot":
            return f"Slack Web API at {self.api_url} (bot token from SLACK_BOT_TOKEN)"
        if self.mode == "webhook":
            return "Slack incoming webhook (SLACK_WEBHOOK_URL)"
        return "local outbox file (no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL set)"

    def scrub(self, text: str) -> str:
        """``text`` with the token and webhook URL masked, for error messages."""
        for secret in (self.bot_token, self.webhook_url):
            if secret:
                text = text.replace(secret, "***")
        return text


def webhook_ambiguous_from_env() -> WebhookAmbiguous:
    """``SLACK_WEBHOOK_AMBIGUOUS`` (default ``skip``); anything else is a one-line error."""
    value = os.environ.get("SLACK_WEBHOOK_AMBIGUOUS", "").strip().lower() or "skip"
    for choice in WEBHOOK_AMBIGUOUS_CHOICES:
        if value == choice:
            return choice
    raise NotifierError(
        f"SLACK_WEBHOOK_AMBIGUOUS must be one of {', '.join(WEBHOOK_AMBIGUOUS_CHOICES)},"
        f" not {value[:40]!r}"
    )
