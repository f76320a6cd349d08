"""Request timings reach ``ops.api_requests`` (the ops thresholds' API latency input) without
the service touching the warehouse on a request's path."""

from __future__ import annotations

from pathlib import Path

import httpx

from benchmarks.http_server import serve
from service.app import ServiceOptions, create_app
from service.request_log import RequestLog
from tests.service.conftest import empty_settings
from warehouse import adapter_for
from warehouse.settings import Settings


def test_requests_over_http_are_written_with_their_route_template(tmp_path: Path) -> None:
    settings = empty_settings(tmp_path)
    app = create_app(settings, ServiceOptions(request_log_seconds=0), warm_up=False)
    with serve(app) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert httpx.get(f"{url}/customers/42/profile").status_code == 401
    log: RequestLog = app.state.request_log
    assert log.pending() == 2
    assert log.flush() == 2
    assert log.pending() == 0
    with adapter_for(settings).session() as session:
        rows = session.execute(
            "select method, route, status_code, duration_ms from ops.api_requests order by route"
        )
    assert [(m, r, s) for m, r, s, _ in rows] == [
        ("GET", "/customers/{customer_id}/profile", 401),
        ("GET", "/healthz", 200),
    ]
    assert all(duration >= 0 for *_, duration in rows)


def test_a_failed_write_keeps_the_rows_for_the_next_try(tmp_path: Path) -> None:
    unreachable = Settings(target="postgres", pg_port=1, artifacts_root=tmp_path)
    log = RequestLog(unreachable)
    log.record("GET", "/healthz", 200, 1.5)
    log.record("GET", "/pipeline", 403, 2.5)
    assert log.flush() == 0
    assert log.pending() == 2
    assert log.dropped == 0


def test_the_buffer_is_bounded_and_counts_what_it_drops(tmp_path: Path) -> None:
    log = RequestLog(empty_settings(tmp_path), max_buffered=3)
    for number in range(5):
        log.record("GET", "/healthz", 200, float(number))
    assert log.pending() == 3
    assert log.dropped == 2
    assert log.flush() == 3
