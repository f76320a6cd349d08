"""Ops messages (a failed Dagster run) to the on-call channel, through the same transports.

Not part of the alert delivery log: a failed run is reported once by the run-failure sensor,
whose cursor already keeps it from reporting the same run twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from notifier.config import NotifierError, SlackConfig
from notifier.messages import Message
from notifier.retrying import OutcomeUnknown
from warehouse.settings import Settings

#: The on-call channel; SLACK_DEFAULT_CHANNEL when unset.
OPS_CHANNEL_ENV = "CIW_OPS_CHANNEL"
#: Where the on-call engineer opens a run; the Dagster UI's default address (``ciw ui``).
DEFAULT_UI_URL = "http://127.0.0.1:3000"


def build_ops_message(
    job_name: str,
    run_id: str,
    failed_steps: Sequence[str],
    error: str | None,
    ui_url: str = DEFAULT_UI_URL,
) -> str:
    """The ops message for a failed run: what failed, the first error line, where to look."""
    steps = ", ".join(failed_steps) if failed_steps else "no step recorded"
    first_line = (error or "").strip().splitlines()[0] if (error or "").strip() else "no message"
    return (
        f":rotating_light: Dagster run of `{job_name}` failed\n"
        f"failed steps: {steps}\n"
        f"error: {first_line[:300]}\n"
        f"run: {ui_url.rstrip('/')}/runs/{run_id}"
    )


def ops_destination(config: SlackConfig) -> str:
    return os.environ.get(OPS_CHANNEL_ENV, "").strip() or config.default_channel or "#data-ops"


def send_ops_message(
    settings: Settings, text: str, *, key: str, config: SlackConfig | None = None
) -> str:
    """Post ``text`` (Slack mrkdwn) to the ops channel, or write it to the outbox; say where."""
    from notifier.channels import slack_channel

    config = config or SlackConfig.from_env()
    outbox = settings.artifacts_dir / "outbox" / f"ops-{datetime.now(UTC):%Y-%m-%d}.jsonl"
    transport, _ = slack_channel(config, outbox, time.sleep).make_transport()
    message = Message(
        destination=ops_destination(config),
        kind="ops",
        alert_ids=(f"ops:{key}",),
        text=text,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    )
    try:
        transport.check()
        transport.post(message)
    except OutcomeUnknown:
        return f"ops message to {message.destination} may have arrived (answer lost; not resent)"
    except NotifierError as error:
        raise NotifierError(config.scrub(str(error))) from None
    if transport.mode == "outbox":
        return f"ops message written to {outbox}"
    return f"ops message sent to {message.destination} via {config.describe()}"
