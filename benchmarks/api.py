"""``ciw bench --api``: the profile endpoint under load, over loopback HTTP.

A warehouse of N customers is built once by the whole pipeline (``data/bench/api_<N>.duckdb``,
reused on the next call unless ``rebuild``). The service runs in a process of its own (uvicorn,
access log off, no rate limit), and this process is an open-loop load generator written with
asyncio and httpx: at each rate, requests for random scored customers start on a fixed
schedule (``i / rate`` seconds after the start) whether or not earlier ones have answered, so
a slow server cannot slow the offered load down and hide its own latency. Latency is measured
from each request's scheduled start to its last byte.
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
from dataclasses import dataclass, replace
from pathlib import Path

from warehouse.settings import Settings

GENERATOR = "asyncio + httpx open-loop generator (wrk not used)"
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


async def _offer_load(
    base: str, key: str, customers: Sequence[int], rate: int, seconds: float, seed: int
) -> LoadLevel:
    import httpx

    picker = random.Random(seed + rate)
    latencies: list[float] = []
    errors = 0
    total = max(1, int(rate * seconds))
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=10
    ) as client:

        async def one(due: float, customer: int) -> None:
            nonlocal errors
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                response = await client.get(f"/customers/{customer}/profile")
                await response.aread()
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - due)

        # Warm the connections and the server's caches before measuring.
        await asyncio.gather(*(one(time.perf_counter(), customers[0]) for _ in range(20)))
        latencies.clear()
        errors = 0
        started = time.perf_counter() + 0.05
        tasks = [
            asyncio.create_task(one(started + index / rate, picker.choice(customers)))
            for index in range(total)
        ]
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
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
    elif target.target == "duckdb" and not snapshot_path(target).exists():
        from service.snapshot import publish_snapshot

        publish_snapshot(target)
    ids = scored_customers(target)
    _, key = KeyStore(target).create("admin", "bench")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(target, port)
    levels: list[LoadLevel] = []
    try:
        wait_ready(base, server)
        for rate in rates:
            say(f"{rate} requests/s for {seconds:g} s ...")
            levels.append(asyncio.run(_offer_load(base, key, ids, rate, seconds, seed)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ApiBenchResult(customers=customers, warehouse=target.describe(), levels=levels)


def _built(target: Settings) -> bool:
    from warehouse import WarehouseUnavailable, table_exists

    if target.target == "duckdb" and not target.duckdb_path.exists():
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
    return "\n".join(lines)


def machine_load() -> str:
    """The load averages (1, 5, 15 min), as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
