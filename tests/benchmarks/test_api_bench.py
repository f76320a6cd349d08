"""The profile load generator of ``ciw bench --api``: it offers the scheduled number of
requests over real loopback HTTP, counts failures and reports percentiles."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Response

from benchmarks.api import ApiBenchResult, _offer_load, api_markdown
from benchmarks.http_server import serve


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/customers/{customer_id}/profile")
    async def profile(customer_id: int) -> Response:
        # Odd ids fail, so the generator's error count can be checked.
        return Response(status_code=500 if customer_id % 2 else 200, content=b'{"ok": true}')

    return app


def test_the_generator_offers_the_scheduled_load_and_counts_errors() -> None:
    with serve(_app()) as base:
        good = asyncio.run(_offer_load(base, "key", [2, 4, 6], rate=50, seconds=1.0, seed=1))
        mixed = asyncio.run(_offer_load(base, "key", [1, 2], rate=40, seconds=1.0, seed=1))
    assert good.requests == 50 and good.errors == 0
    assert 0 < good.p50_ms <= good.p99_ms <= good.max_ms
    assert 0.8 <= good.seconds < 10
    assert mixed.requests == 40 and 0 < mixed.errors < 40
    table = api_markdown(ApiBenchResult(10, "DuckDB file x", [good, mixed]), "load average 1")
    assert "| 50 | 50 |" in table and "| 40 | 40 |" in table
