"""``ciw bench --events``: events scored as they happen, end to end, over real HTTP.

A warehouse of its own (generated and loaded, ``--customers``), the events service on loopback
(uvicorn) with its worker in the same process, the stand-in Slack (tests/notifier) as the
receiver. Two phases:

* **burst**: ``--burst`` order events sent as fast as 32 concurrent clients can;
* **steady**: ``--rate`` events per second for ``--seconds``.

One event in ``alert_every`` (100) is an order that takes a new customer past the first LTV
milestone (an ``ltv_milestone`` alert to ``#customer-loyalty``); the others are small orders.
Every such alert goes to that one channel, which Slack takes about one message a second in
(the notifier paces to it): at 50 events/s, one alert in 100 events is half the channel's
rate; one in 50 would be all of it, and any hiccup would queue every later alert.
Latency is measured from the 202 (the client's clock) to the stand-in receiving the message
(the same process's clock). Lost: a 202 whose raw row or inbox row is missing, or whose alert
never arrived; duplicates: a raw row, or an alert message, seen twice.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.scratch import drop_scratch_warehouse, scratch_warehouse
from warehouse.settings import Settings

FIRST_CUSTOMER = 50_000_000


@dataclass
class Phase:
    name: str
    sent: int = 0
    accepted: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    drained_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    alerts_expected: int = 0
    lost: int = 0
    duplicates: int = 0

    def percentile(self, share: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def line(self) -> str:
        p50, p99 = self.percentile(0.5), self.percentile(0.99)
        shown = (
            f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
            if p50 is not None and p99 is not None
            else "no alerts"
        )
        return (
            f"{self.name}: {self.sent} sent, {self.accepted} accepted "
            f"({self.accepted / self.seconds:.0f}/s), refused {self.refused or 0}, "
            f"drained {self.drained_seconds:.1f} s after the last 202; "
            f"alert latency {shown} over {len(self.latencies)} alerts; "
            f"lost {self.lost}, duplicates {self.duplicates}"
        )


def _prepare(settings: Settings, customers: int, directory: Path) -> None:
    from sources.generate import generate
    from sources.generate.config import GeneratorConfig
    from sources.load import load_directory

    exports = directory / "exports"
    generate(exports, GeneratorConfig(customers=customers, seed=42))
    load_directory(exports, settings)


async def _send(
    url: str, events: list[tuple[str, dict[str, Any]]], rate: float | None, phase: Phase
) -> dict[str, float]:
    """Post every event (at ``rate`` per second, else 32 at a time); 202 times by event id."""
    import httpx

    from events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
    from tests.events.client import SECRETS, body_of

    accepted: dict[str, float] = {}
    limit = asyncio.Semaphore(64 if rate else 32)

    async def one(client: httpx.AsyncClient, event_id: str, data: dict[str, Any]) -> None:
        body = body_of(event_id, data)
        async with limit:
            while True:
                stamp = str(int(time.time()))
                headers = {
                    TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: sign(SECRETS["order"], stamp, body),
                    "Content-Type": "application/json",
                }
                answer = await client.post(f"{url}/events/order", content=body, headers=headers)
                if answer.status_code == 429:
                    phase.refused[429] = phase.refused.get(429, 0) + 1
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                    continue
                break
        if answer.status_code == 202:
            accepted[event_id] = time.monotonic()
        else:
            phase.refused[answer.status_code] = phase.refused.get(answer.status_code, 0) + 1

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=60) as client:
        tasks = []
        for number, (event_id, data) in enumerate(events):
            if rate:
                await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(client, event_id, data)))
        await asyncio.gather(*tasks)
    phase.sent = len(events)
    phase.accepted = len(accepted)
    phase.seconds = time.monotonic() - started
    return accepted


def _events(
    prefix: str, count: int, first: int, alert_every: int
) -> list[tuple[str, dict[str, Any]]]:
    from datetime import UTC, datetime

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        (
            f"{prefix}-{n}",
            {
                "order_id": 900_000_000 + first + n,
                "customer_id": FIRST_CUSTOMER + first + n,
                "ordered_at": now,
                "order_total": "1500.00" if n % alert_every == 0 else "25.00",
            },
        )
        for n in range(count)
    ]


def _measure(
    phase: Phase,
    settings: Settings,
    slack: Any,
    accepted: dict[str, float],
    first: int,
    alert_every: int,
    prefix: str,
    timeout: float,
) -> None:
    from events.rules import alert_id
    from warehouse import adapter_for

    wanted: dict[str, str] = {}
    for event_id in accepted:
        n = int(event_id.rsplit("-", 1)[1])
        if n % alert_every == 0:
            customer = str(FIRST_CUSTOMER + first + n)
            wanted[alert_id("ltv_milestone", "customer", customer, "milestone-1000")] = event_id
    phase.alerts_expected = len(wanted)
    last = max(accepted.values()) if accepted else time.monotonic()
    deadline = time.monotonic() + timeout
    received: dict[str, list[float]] = {}
    while time.monotonic() < deadline:
        received = {}
        for message in list(slack.messages):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            for found in payload.get("alert_ids", []):
                if found in wanted:
                    received.setdefault(found, []).append(message["received_at"])
        if len(received) >= len(wanted):
            break
        time.sleep(0.2)
    arrivals = [times[0] for times in received.values()]
    phase.drained_seconds = (max(arrivals) - last) if arrivals else 0.0
    phase.latencies = [received[a][0] - accepted[e] for a, e in wanted.items() if a in received]
    with adapter_for(settings).session() as session:
        rows = session.execute(
            "select _batch_id, count(*) from raw_commerce.orders "
            "where _batch_id like %s group by _batch_id",
            (f"event:order:{prefix}-%",),
        )
    in_raw = {batch.split(":", 2)[2]: count for batch, count in rows}
    phase.lost = sum(1 for event_id in accepted if event_id not in in_raw)
    phase.lost += len(wanted) - len(received)
    phase.duplicates = sum(count - 1 for count in in_raw.values())
    phase.duplicates += sum(len(times) - 1 for times in received.values())


def run_events_benchmark(
    settings_target: str,
    *,
    customers: int = 2_000,
    burst: int = 10_000,
    rate: float = 50.0,
    seconds: float = 60.0,
    alert_every: int = 100,
    echo: Any = print,
) -> list[Phase]:
    """Both phases on a fresh warehouse; returns their figures (``Phase.line``)."""
    import os

    from benchmarks.api import machine_load
    from benchmarks.http_server import serve
    from events.service import EventsService
    from events.worker import start_worker
    from notifier.config import SlackConfig
    from service.routers.events import standalone_app
    from tests.events.client import secret_env
    from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn

    os.environ.update(secret_env())
    if settings_target == "postgres":  # production: PostgreSQL + Redis as the online store
        os.environ.setdefault("CIW_FEAST_ONLINE_STORE", "redis")
    directory = Path(tempfile.mkdtemp(prefix="ciw-bench-events-"))
    settings = scratch_warehouse(settings_target, directory, "events")
    slack = SlackStandIn().start()
    phases: list[Phase] = []
    try:
        echo(f"preparing a warehouse of {customers} customers on {settings.describe()}")
        _prepare(settings, customers, directory)
        service = EventsService.open(settings, queue_max=max(20_000, burst + 1))
        config = SlackConfig(bot_token=VALID_TOKEN, api_url=slack.api_url)
        running = start_worker(service, slack=config, scoring=False)
        try:
            with serve(standalone_app(service)) as url:
                plan = [("burst", burst, None), ("steady", int(rate * seconds), rate)]
                first = 0
                for name, count, pace in plan:
                    phase = Phase(name)
                    echo(f"{name}: {count} events" + (f" at {pace:.0f}/s" if pace else ""))
                    echo(f"  before: {machine_load()}")
                    events = _events(name, count, first, alert_every)
                    accepted = asyncio.run(_send(url, events, pace, phase))
                    _measure(
                        phase,
                        settings,
                        slack,
                        accepted,
                        first,
                        alert_every,
                        name,
                        timeout=120 + count / 20,
                    )
                    echo(phase.line())
                    echo(f"  after: {machine_load()}")
                    phases.append(phase)
                    first += count
        finally:
            running.stop()
    finally:
        slack.stop()
        drop_scratch_warehouse(settings)
        shutil.rmtree(directory, ignore_errors=True)
    return phases
