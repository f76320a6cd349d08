"""Nothing accepted is lost: the events service (with its worker) as its own process, killed
with SIGKILL in the middle of a batch (by the stand-in Slack, right after it took a message),
then started again. Every event answered 202 is in raw, every one is processed, and every
alert reaches Slack exactly once. On DuckDB (the embedded default) and on PostgreSQL with
Redis as the online store (production)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from events.rules import alert_id
from tests.events.client import post_event, secret_env
from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn
from warehouse import adapter_for
from warehouse.settings import Settings

EVENTS = 24
ALERT_EVERY = 3  # 8 orders take a new customer past the first LTV milestone
FIRST_CUSTOMER = 70_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    settings: Settings,
    slack: SlackStandIn,
    port: int,
    log: Path,
    command: tuple[str, ...] = ("events", "serve"),
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``ciw <command> --port PORT`` on the warehouse of ``settings``, Slack at the stand-in;
    returns once it answers HTTP."""
    env = {
        **os.environ,
        **secret_env(),
        **settings.dbt_env(),
        "CIW_ARTIFACTS_DIR": str(settings.artifacts_dir),
        "SLACK_BOT_TOKEN": VALID_TOKEN,
        "SLACK_API_URL": slack.api_url,
        **(extra_env or {}),
    }
    env.pop("SLACK_WEBHOOK_URL", None)
    ciw = str(Path(sys.executable).with_name("ciw"))
    process = subprocess.Popen(
        [ciw, *command, "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise AssertionError(f"the service died: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)
    process.kill()
    raise AssertionError("the service did not start")


def order(number: int) -> dict[str, object]:
    return {
        "order_id": 880_000_000 + number,
        "customer_id": FIRST_CUSTOMER + number,
        "ordered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60)),
        "order_total": "1200.00" if number % ALERT_EVERY == 0 else "20.00",
    }


WANTED = {
    alert_id("ltv_milestone", "customer", str(FIRST_CUSTOMER + n), "milestone-1000")
    for n in range(EVENTS)
    if n % ALERT_EVERY == 0
}


def alerts_received(slack: SlackStandIn) -> list[str]:
    return [
        found
        for message in list(slack.messages)
        for found in (message.get("metadata") or {}).get("event_payload", {}).get("alert_ids", [])
    ]


def send(url: str, numbers: object) -> list[int]:
    """Post the events; the 202s. Stops at the first connection error (the service died)."""
    accepted = []
    with httpx.Client() as client:
        for number in numbers:  # type: ignore[attr-defined]
            try:
                answer = post_event(client, url, "order", f"k-{number}", order(number))
            except httpx.TransportError:
                break
            if answer.status_code in (200, 202):
                accepted.append(number)
    return accepted


def stored_events(settings: Settings) -> set[int]:
    with adapter_for(settings).session() as session:
        rows = session.execute("select _batch_id from raw_commerce.orders")
    return {int(batch.rsplit("-", 1)[1]) for (batch,) in rows}


def counts(settings: Settings) -> tuple[int, dict[str, int]]:
    with adapter_for(settings).session() as session:
        raw = session.execute(
            "select count(*), count(distinct _batch_id) from raw_commerce.orders"
        )[0]
        statuses = dict(
            session.execute("select status, count(*) from ops.event_inbox group by status")
        )
    assert raw[0] == raw[1], "an event appended twice"
    return int(raw[0]), {str(k): int(v) for k, v in statuses.items()}


def test_sigkill_mid_batch_loses_nothing_and_sends_nothing_twice(
    warehouse_settings: Settings, tmp_path: Path
) -> None:
    settings = warehouse_settings
    # production: PostgreSQL with the online store in Redis
    online = {"CIW_FEAST_ONLINE_STORE": "redis"} if settings.target == "postgres" else {}
    slack = SlackStandIn().start()
    port = free_port()
    log = tmp_path / "service.log"
    try:
        process = start(settings, slack, port, log, extra_env=online)
        slack.kill_after_posts = (3, process.pid)  # the 3rd message: mid-batch
        url = f"http://127.0.0.1:{port}"
        accepted = send(url, range(EVENTS))
        assert process.wait(timeout=120) == -signal.SIGKILL
        assert len(slack.messages) == 3
        stored = stored_events(settings)
        assert set(accepted) <= stored  # every 202 was durable before it
        _, statuses = counts(settings)
        assert statuses.get("pending", 0) > 0  # the batch was cut short

        slack.kill_after_posts = None
        process = start(settings, slack, port, log, extra_env=online)
        try:  # DuckDB: the service holds the file; watch Slack, then count after it stops
            accepted += send(url, [n for n in range(EVENTS) if n not in accepted])
            assert sorted(accepted) == list(range(EVENTS))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(alerts_received(slack)) < len(WANTED):
                time.sleep(0.5)
            time.sleep(3)  # a duplicate would have arrived by now; the step marks its events
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    finally:
        slack.stop()
    raw_rows, statuses = counts(settings)
    assert statuses == {"done": EVENTS}, (statuses, log.read_text()[-3000:])
    assert raw_rows == EVENTS
    assert sorted(alerts_received(slack)) == sorted(WANTED)  # each alert once, none lost
