"""A fresh warehouse (no run yet): the pages say how to fill it instead of failing."""

from __future__ import annotations

from pathlib import Path

import httpx

from benchmarks.http_server import serve
from service.app import create_app
from service.keys import KeyStore
from service.snapshot import publish_snapshot
from tests.service.pages.conftest import login
from warehouse.settings import Settings

PAGES = ("/pages/health", "/pages/cro", "/pages/manager", "/pages/alerts", "/pages/reps/USR1")


def _fresh(tmp_path: Path) -> tuple[Settings, str]:
    settings = Settings(
        target="duckdb", duckdb_path=tmp_path / "fresh.duckdb", artifacts_root=tmp_path / "art"
    )
    _, raw = KeyStore(settings).create("admin", "ADMIN")
    return settings, raw


def test_an_empty_warehouse_shows_how_to_fill_it(tmp_path: Path) -> None:
    settings, raw = _fresh(tmp_path)
    publish_snapshot(settings)  # what `ciw serve` does at start: a snapshot without marts
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert login(client, raw).status_code == 303
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert "No marts yet" in answer.text and "ciw run" in answer.text, path
            assert "ciw generate" in answer.text


def test_no_snapshot_yet_is_a_503_that_says_what_to_run(tmp_path: Path) -> None:
    settings, raw = _fresh(tmp_path)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert login(client, raw).status_code == 303
        answer = client.get("/pages/health")
        assert answer.status_code == 503
        assert "ciw run" in answer.text
        assert "Traceback" not in answer.text
