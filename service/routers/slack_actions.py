"""``POST /slack/actions``: Slack's interactivity requests (button and menu clicks on alert
messages).

Every request is verified first (``SLACK_SIGNING_SECRET``, v0 HMAC-SHA256, 5-minute window, each
signature once): forged, unsigned, stale or replayed ones get 401 and change nothing. A click
then goes through ``notifier.slack_actions.handle_click`` (the alert lifecycle's rules); the
message is rewritten in place with ``chat.update`` and a refusal reaches the clicker alone as an
ephemeral message (``chat.postEphemeral``), both with the bot token (SLACK_BOT_TOKEN,
SLACK_API_URL). Slack expects an answer within 3 seconds: an empty 200.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from notifier.signing import SIGNING_SECRET_ENV, ReplayGuard, SignatureRejected, verify

logger = logging.getLogger("ciw.slack_actions")

#: Slack's interactivity payloads are a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 256 * 1024

router = APIRouter(tags=["slack"])
_guard_lock = threading.Lock()


def _replay_guard(request: Request) -> ReplayGuard:
    """The signatures this app has accepted (one guard per app that mounts the router)."""
    state = request.app.state
    with _guard_lock:  # two first requests at once must not get two guards
        if not hasattr(state, "slack_replay_guard"):
            state.slack_replay_guard = ReplayGuard()
    guard: ReplayGuard = state.slack_replay_guard
    return guard


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


@router.post(
    "/slack/actions",
    summary="Slack interactivity: alert buttons and rating menus",
    responses={401: {"description": "unsigned, forged, stale or replayed"}},
)
async def slack_actions(request: Request) -> Response:
    secret = os.environ.get(SIGNING_SECRET_ENV, "")
    if not secret:
        return _error(503, f"{SIGNING_SECRET_ENV} is not set: Slack actions are switched off")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "request body too large")
    try:
        verify(
            secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            body,
            _replay_guard(request),
        )
    except SignatureRejected as rejected:
        logger.warning("refused a Slack action request: %s", rejected)
        return _error(401, str(rejected))
    return await run_in_threadpool(_act, body)


def _act(body: bytes) -> Response:
    from notifier.config import NotifierError
    from notifier.slack_actions import BadPayload, handle_click, parse_payload
    from warehouse.settings import Settings

    try:
        outcome = handle_click(Settings.from_env(), parse_payload(body))
    except BadPayload as bad:
        return _error(400, str(bad))
    except NotifierError as problem:  # e.g. no alerts mart yet: say so, never a traceback
        return _error(409, str(problem))
    if outcome.update or outcome.ephemeral:
        _tell_slack(outcome.update, outcome.ephemeral, outcome.channel, outcome.slack_user)
    return Response(status_code=200)


def _tell_slack(
    update: dict[str, Any] | None, ephemeral: str | None, channel: str | None, user: str | None
) -> None:
    """chat.update / chat.postEphemeral; a failure is logged (the change itself is kept)."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from notifier.config import SlackConfig

    config = SlackConfig.from_env()
    if not config.bot_token:
        logger.warning("no SLACK_BOT_TOKEN: the message cannot be updated in Slack")
        return
    client = WebClient(
        token=config.bot_token,
        base_url=config.api_url,
        timeout=int(config.timeout_seconds),
        retry_handlers=[],
    )
    try:
        if update:
            client.chat_update(**update)
        if ephemeral and channel and user:
            client.chat_postEphemeral(channel=channel, user=user, text=ephemeral)
    except (SlackApiError, OSError) as error:
        logger.warning("Slack did not take the update: %s", config.scrub(str(error)))


def standalone_app() -> FastAPI:
    """A service holding this router alone (``ciw alerts serve-actions``), until ``ciw serve``
    mounts it with the rest of the API."""
    app = FastAPI(title="ciw Slack actions", docs_url=None, redoc_url=None)
    app.include_router(router)
    return app
