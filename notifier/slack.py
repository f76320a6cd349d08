"""Transports: the Slack Web API (bot token), an incoming webhook, or the local outbox file.

Every Slack call goes through ``Retrying``: 429 waits for ``Retry-After``, other failures back
off exponentially, a bad token stops the run with one line. slack-sdk's own retry handlers are
switched off so that no request is repeated without this module deciding it. Whenever a
``chat.postMessage`` may have been posted without our hearing so (``notifier.answers``: 5xx,
reset, read timeout, unparsable answer), the bot transport looks the message up by the delivery
key in its metadata before posting again; a webhook cannot, so ``SLACK_WEBHOOK_AMBIGUOUS``
decides (``skip``: the delivery is ``unknown``; ``retry``: sent again).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from notifier.answers import Verdict, api_verdict, webhook_verdict
from notifier.config import NotifierError, SlackConfig
from notifier.messages import METADATA_EVENT_TYPE, Message
from notifier.retrying import Retrying, Unsure

#: Errors that mean the credentials are wrong: stop, do not retry.
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
    }
)
#: Errors that mean this destination cannot receive messages from the bot.
UNREACHABLE_ERRORS = frozenset(
    {"channel_not_found", "user_not_found", "not_in_channel", "is_archived", "cannot_dm_bot"}
)
#: Webhook answers that mean the URL is wrong or revoked.
WEBHOOK_AUTH_ERRORS = frozenset({"invalid_token", "no_service", "no_team", "team_disabled"})


class SlackRefused(RuntimeError):
    """Slack answered with an error that retrying will not cure (e.g. channel_not_found)."""


class RefusedForGood(SlackRefused):
    """A channel refused a message in a way no later run cures (a mail server's 5xx for an
    address, a Teams webhook's 4xx for a card): logged ``refused``, never retried."""


@dataclass(frozen=True)
class Posted:
    """Where a message landed: channel id and ts (empty for webhooks and the outbox)."""

    channel_id: str | None
    ts: str | None
    status: str = "sent"


class Transport(Protocol):
    mode: str

    def check(self) -> None: ...

    def post(self, message: Message) -> Posted: ...

    def find(self, message_key: str, destination: str, since: datetime) -> Posted | None: ...


class BotTransport:
    """chat.postMessage with a bot token; finds messages again through conversations.history."""

    mode = "bot"

    def __init__(self, config: SlackConfig, retrying: Retrying) -> None:
        from slack_sdk import WebClient

        self.config = config
        self.retrying = retrying
        self.client = WebClient(
            token=config.bot_token,
            base_url=config.api_url,
            timeout=config.timeout_seconds,  # type: ignore[arg-type]  # urllib takes a float
            retry_handlers=[],
        )
        self._channel_ids: dict[str, str] = {}

    def _api(
        self,
        method: str,
        unsure: Unsure = "repeat",
        settle: Callable[[], Posted | None] | None = None,
        **params: Any,
    ) -> Any:
        """One Web API call with the retry rules: Slack's answer as a dict, or the ``Posted``
        that ``settle`` found after an answer was lost."""
        from slack_sdk.errors import SlackApiError

        call = getattr(self.client, method.replace(".", "_"))

        def attempt() -> Any:
            try:
                return call(**params)
            except SlackApiError as error:
                return error.response

        def classify(response: Any) -> Verdict:
            return api_verdict(method, response.status_code, response.data, response.headers)

        result = self.retrying.call(method, attempt, classify, unsure, settle)
        if isinstance(result, Posted):
            return result
        data = result.data if isinstance(result.data, dict) else {}
        if data.get("ok"):
            return data
        error = str(data.get("error") or f"HTTP {result.status_code}")
        if error in AUTH_ERRORS:
            raise NotifierError(
                f"Slack rejected SLACK_BOT_TOKEN ({error}) at {self.config.api_url}: "
                "check the token and the app's scopes"
            )
        raise SlackRefused(f"{method}: {error}")

    def check(self) -> None:
        """auth.test: a bad token stops the run before any alert is claimed."""
        self._api("auth.test")

    def post(self, message: Message, since: datetime | None = None) -> Posted:
        try:
            return self._post_to(message, message.destination, message.text, message.blocks)
        except SlackRefused as refused:
            reason = str(refused).rpartition(": ")[2]
            if reason not in UNREACHABLE_ERRORS or not self.config.default_channel:
                raise
        note = {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Intended for {message.destination} ({reason}); "
                    "sent to the default channel.",
                }
            ],
        }
        return self._post_to(
            message, self.config.default_channel, message.text, [*message.blocks, note]
        )

    def _post_to(
        self, message: Message, channel: str, text: str, blocks: list[dict[str, Any]]
    ) -> Posted:
        started = datetime.now(UTC).replace(tzinfo=None)

        def settle() -> Posted | None:
            return self.find(message.delivery_key, channel, started)

        with self.retrying.paced(channel):
            answer = self._api(
                "chat.postMessage",
                unsure="settle",
                settle=settle,
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=message.metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
        if isinstance(answer, Posted):
            return answer
        return Posted(channel_id=answer.get("channel"), ts=answer.get("ts"))

    def channel_id(self, destination: str) -> str | None:
        """The conversation id of a member id (its DM), a #name or an id."""
        if destination in self._channel_ids:
            return self._channel_ids[destination]
        found: str | None
        if destination[:1] in ("U", "W"):
            found = self._api("conversations.open", users=destination).get("channel", {}).get("id")
        elif destination.startswith("#"):
            found = None
            cursor = None
            while found is None:
                page = self._api(
                    "conversations.list",
                    limit=200,
                    cursor=cursor,
                    types="public_channel,private_channel",
                )
                for channel in page.get("channels", []):
                    if channel.get("name") == destination[1:]:
                        found = channel.get("id")
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        else:
            found = destination
        if found:
            self._channel_ids[destination] = found
        return found

    def find(self, message_key: str, destination: str, since: datetime) -> Posted | None:
        """The message carrying ``message_key`` in its metadata, posted to the destination (or
        the default channel) since ``since`` (naive UTC); None when there is none."""
        oldest = f"{since.replace(tzinfo=UTC).timestamp() - 60:.6f}"
        places = [destination] + (
            [self.config.default_channel] if self.config.default_channel else []
        )
        for place in places:
            try:
                channel = self.channel_id(place)
            except SlackRefused:
                continue
            if not channel:
                continue
            cursor = None
            while True:
                page = self._api(
                    "conversations.history",
                    channel=channel,
                    oldest=oldest,
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                for item in page.get("messages", []):
                    metadata = item.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if (
                        metadata.get("event_type") == METADATA_EVENT_TYPE
                        and payload.get("delivery_key") == message_key
                    ):
                        return Posted(channel_id=channel, ts=item.get("ts"))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        return None


class WebhookTransport:
    """An incoming webhook: one fixed channel, no way to read messages back."""

    mode = "webhook"

    def __init__(self, config: SlackConfig, retrying: Retrying) -> None:
        from slack_sdk.webhook import WebhookClient

        self.config = config
        self.retrying = retrying
        self.client = WebhookClient(
            config.webhook_url,
            timeout=config.timeout_seconds,  # type: ignore[arg-type]
            retry_handlers=[],
        )

    def check(self) -> None:
        """Webhooks have no auth test; a bad URL shows on the first message."""

    def post(self, message: Message) -> Posted:
        mention = f"<@{message.destination}> " if message.destination[:1] in ("U", "W") else ""
        target = {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"For {mention or message.destination}"}],
        }

        def attempt() -> Any:
            return self.client.send(text=mention + message.text, blocks=[*message.blocks, target])

        def classify(response: Any) -> Verdict:
            return webhook_verdict(response.status_code, response.body, response.headers)

        unsure: Unsure = "stop" if self.config.webhook_ambiguous == "skip" else "repeat"
        with self.retrying.paced("webhook"):
            response = self.retrying.call("webhook", attempt, classify, unsure)
        if response.status_code == 200:
            return Posted(channel_id=None, ts=None)
        body = str(response.body or "").strip()
        if response.status_code in (401, 403, 404) or body in WEBHOOK_AUTH_ERRORS:
            raise NotifierError(
                f"Slack rejected SLACK_WEBHOOK_URL (HTTP {response.status_code} {body[:60]}): "
                "check the webhook URL"
            )
        raise SlackRefused(f"webhook: HTTP {response.status_code} {body[:100]}")

    def find(self, message_key: str, destination: str, since: datetime) -> Posted | None:
        return None


class OutboxTransport:
    """No credentials: each message becomes one JSON line in a local file."""

    mode = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path

    def check(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def post(self, message: Message) -> Posted:
        record = {
            "destination": message.destination,
            "kind": message.kind,
            "delivery_key": message.delivery_key,
            "alert_ids": list(message.alert_ids),
            "text": message.text,
            "blocks": message.blocks,
            "metadata": message.metadata,
        }
        with self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
        return Posted(channel_id=None, ts=None, status="outbox")

    def find(self, message_key: str, destination: str, since: datetime) -> Posted | None:
        """A message already written to the outbox file (a crash after writing, before logging)."""
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as outbox:
            for line in outbox:
                if f'"delivery_key": "{message_key}"' in line:
                    return Posted(channel_id=None, ts=None, status="outbox")
        return None
