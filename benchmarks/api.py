"""``ciw bench --api``: the profile endpoint under load, over loopback HTTP.

A warehouse of N customers is built once by the whole pipeline (``data/bench/api_<N>.duckdb``,
reused on the next call unless ``rebuild``). The service runs in a process of its own (uvicorn,
access log off, no rate limit), and this process is an open-loop load generator on raw
asyncio streams (64 keep-alive connections): at each rate, requests for random scored
customers start on a fixed schedule (``i / rate`` seconds after the start) whether or not
earlier ones have answered, so a slow server cannot slow the offered load down and hide its
own latency. Latency is measured from each request's scheduled start to its last byte.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks.pages import PageTiming, measure_page_ttfb, pages_markdown
from warehouse.settings import Settings

GENERATOR = "open-loop asyncio generator, 64 keep-alive HTTP/1.1 connections (wrk not installed)"
DEFAULT_RATES = (100, 200, 500)


@dataclass(frozen=True)
class LoadLevel:
    rate: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def achieved_rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ApiBenchResult:
    customers: int
    warehouse: str
    levels: list[LoadLevel]
    generator: str = GENERATOR
    #: Time to first byte of each role's pages (benchmarks/pages.py).
    pages: list[PageTiming] = field(default_factory=list)


def api_bench_settings(settings: Settings, customers: int, work_dir: Path) -> Settings:
    """The benchmark's own warehouse (never the user's), with its artifacts beside it."""
    moved = settings.elsewhere(
        duckdb_path=work_dir / f"api_{customers}.duckdb", pg_database=f"ciw_bench_api_{customers}"
    )
    return replace(moved, artifacts_root=work_dir / f"api_{customers}_artifacts")


def build_warehouse(target: Settings, customers: int, seed: int, work_dir: Path) -> None:
    """Generate, load and run the whole pipeline (which publishes the marts snapshot)."""
    from orchestration.launch import run_pipeline
    from sources.generate import GeneratorConfig, generate
    from warehouse.connections import drop_warehouse

    drop_warehouse(target)
    exports = work_dir / f"api_exports_{customers}_{seed}"
    generate(exports, GeneratorConfig(customers=customers, seed=seed))
    result = run_pipeline(target, exports, train=True)
    if not result.success:
        raise RuntimeError(f"the benchmark warehouse's pipeline run {result.run_id} failed")


def scored_customers(target: Settings) -> list[int]:
    from warehouse import read_frame

    frame = read_frame(target, "select customer_id from marts.customer_risk_scores")
    return [int(value) for value in frame["customer_id"].unique()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(target: Settings, port: int) -> subprocess.Popen[bytes]:
    """The service in its own process, for this warehouse, without a rate limit."""
    env = {
        **os.environ,
        **target.dbt_env(),
        "CIW_ARTIFACTS_DIR": str(target.artifacts_dir),
        "CIW_API_RATE_LIMIT": "1000000",
        "CIW_API_RATE_BURST": "1000000",
    }
    code = (
        "import uvicorn; from warehouse.settings import Settings; "
        "from service.app import create_app; "
        f"uvicorn.run(create_app(Settings.from_env()), host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False)"
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the service process ended before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the service at {base} was not ready within {timeout:.0f} s")


class _Connections:
    """Keep-alive HTTP/1.1 connections over raw asyncio streams: a request costs the
    generator tens of microseconds (an httpx request costs about a millisecond of CPU, which on
    a busy 2-core machine throttled the generator before the server)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        for _ in range(self.size):
            self.free.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def get(self, request: bytes) -> int:
        """Send one request and read the whole answer; its status code."""
        reader, writer = await self.free.get()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = next(
                (
                    int(line.split(":", 1)[1])
                    for line in lines
                    if line.lower().startswith("content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            writer.close()
            reader, writer = await asyncio.open_connection(self.host, self.port)
            status = 599
        self.free.put_nowait((reader, writer))
        return status

    def close(self) -> None:
        while not self.free.empty():
            self.free.get_nowait()[1].close()


async def _offer_load(
    base: str, key: str, customers: Sequence[int], rate: int, seconds: float, seed: int
) -> LoadLevel:
    host, port = base.removeprefix("http://").split(":")
    picker = random.Random(seed + rate)
    latencies: list[float] = []
    errors = 0
    total = max(1, int(rate * seconds))
    connections = _Connections(host, int(port), size=64)
    await connections.open()

    def request(customer: int) -> bytes:
        return (
            f"GET /customers/{customer}/profile HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {key}\r\n\r\n"
        ).encode()

    async def one(due: float, customer: int) -> None:
        nonlocal errors
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if await connections.get(request(customer)) != 200:
            errors += 1
        latencies.append(time.perf_counter() - due)

    try:
        # Warm the connections and the server's caches before measuring.
        await asyncio.gather(*(one(time.perf_counter(), customers[0]) for _ in range(64)))
        latencies.clear()
        errors = 0
        started = time.perf_counter() + 0.05
        tasks = [
            asyncio.create_task(one(started + index / rate, picker.choice(customers)))
            for index in range(total)
        ]
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    finally:
        connections.close()
    ordered = sorted(latencies)
    return LoadLevel(
        rate=rate,
        seconds=round(elapsed, 2),
        requests=total,
        errors=errors,
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        max_ms=round(ordered[-1] * 1000, 2),
    )


def run_api_benchmark(
    customers: int,
    settings: Settings,
    *,
    work_dir: Path,
    rates: Sequence[int] = DEFAULT_RATES,
    seconds: float = 60.0,
    seed: int = 42,
    rebuild: bool = False,
    say: Callable[[str], None] = print,
) -> ApiBenchResult:
    from service.keys import KeyStore
    from service.reader import snapshot_path

    target = api_bench_settings(settings, customers, work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if rebuild or not _built(target):
        say(f"building a warehouse of {customers:,} customers ({target.describe()}) ...")
        build_warehouse(target, customers, seed, work_dir)
    elif target.is_embedded and not snapshot_path(target).exists():
        from service.snapshot import publish_snapshot

        publish_snapshot(target)
    ids = scored_customers(target)
    _, key = KeyStore(target).create("admin", "bench")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(target, port)
    levels: list[LoadLevel] = []
    pages: list[PageTiming] = []
    try:
        wait_ready(base, server)
        for rate in rates:
            say(f"{rate} requests/s for {seconds:g} s ...")
            levels.append(asyncio.run(_offer_load(base, key, ids, rate, seconds, seed)))
        say("time to first byte of each page ...")
        pages = measure_page_ttfb(target, base)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ApiBenchResult(
        customers=customers, warehouse=target.describe(), levels=levels, pages=pages
    )


def _built(target: Settings) -> bool:
    from warehouse import WarehouseUnavailable, table_exists

    if target.is_embedded and not target.duckdb_path.exists():
        return False
    try:
        return table_exists(target, "marts.customer_risk_scores")
    except WarehouseUnavailable:
        return False


def api_markdown(result: ApiBenchResult, load: str) -> str:
    lines = [
        f"Profile endpoint, {result.customers:,} customers ({result.warehouse}); "
        f"{result.generator}; machine load: {load}",
        "",
        "| offered req/s | requests | seconds | errors | p50 ms | p99 ms | max ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result.levels:
        lines.append(
            f"| {level.rate} | {level.requests:,} | {level.seconds:g} | {level.errors} | "
            f"{level.p50_ms:g} | {level.p99_ms:g} | {level.max_ms:g} |"
        )
    if result.pages:
        lines += ["", "Pages, time to first byte (signed in, after one warm-up request):", ""]
        lines.append(pages_markdown(result.pages))
    return "\n".join(lines)


def machine_load() -> str:
    """The load averages (1, 5, 15 min), as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
