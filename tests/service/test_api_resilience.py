"""The service under stress on DuckDB: a run holding the warehouse's writer lock, a newer
snapshot replacing the served one, the rate limit (429), an empty online store (503), and
logs that never hold a key."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from benchmarks.http_server import serve
from service.app import ServiceOptions, create_app
from service.keys import KeyStore
from service.snapshot import publish_snapshot
from tests.service.conftest import Served, empty_settings, first_customer, start
from warehouse.locks import run_lock_path
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(duck_copy: Settings) -> Iterator[Served]:
    yield from start(duck_copy)


HOLDER = textwrap.dedent(
    """
    import fcntl, sys, time, duckdb
    lock = open(sys.argv[2], "a+")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    connection = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(120)
    """
)


def test_it_answers_while_a_run_holds_the_duckdb_writer_lock(api: Served) -> None:
    """Another process holds the run lock and DuckDB's file lock, as `ciw run` does: reads
    keep working from the snapshot, a change says 503 with Retry-After."""
    settings = api.settings
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(settings.duckdb_path), str(run_lock_path(settings))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(settings.duckdb_path), read_only=True)
        customer = first_customer_from_snapshot(api)
        assert api.get("admin", f"/customers/{customer}/profile").status_code == 200
        assert api.get("rep", "/leads").json()["items"]
        listed = api.get("admin", "/alerts")
        assert listed.status_code == 200 and listed.json()["source"] == "snapshot"
        assert listed.json()["items"]
        alert_id = listed.json()["items"][0]["alert_id"]
        refused = api.patch("admin", f"/alerts/{alert_id}", json={"status": "acknowledged"})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        assert "run" in refused.json()["detail"]
        assert api.get("cro", "/readyz").status_code == 200
    finally:
        holder.kill()
        holder.wait()


def first_customer_from_snapshot(api: Served) -> int:
    found = api.app.state.reader.rows("select min(customer_id) as id from service.customer_extras")
    return int(found[0]["id"])


def test_a_newer_snapshot_replaces_the_served_one(api: Served) -> None:
    before = api.get("admin", "/readyz").json()["marts_published_at"]
    time.sleep(0.01)
    publish_snapshot(api.settings, run_id="next-run")
    time.sleep(1.1)  # the reader looks for a replaced file at most every second
    after = api.get("admin", "/readyz").json()["marts_published_at"]
    assert after > before
    assert api.get("admin", f"/customers/{first_customer(api)}/profile").status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(duck_copy: Settings) -> None:
    _, raw = KeyStore(duck_copy).create("admin", "limited")
    app = create_app(duck_copy, ServiceOptions(rate_per_second=0.5, burst=2), warm_up=False)
    with serve(app) as base, httpx.Client(base_url=base, headers={"X-API-Key": raw}) as client:
        codes = [client.get("/leads").status_code for _ in range(3)]
        assert codes[:2] == [200, 200] and codes[2] == 429
        limited = client.get("/leads")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "rate limit" in limited.json()["detail"]


def test_an_empty_online_store_is_503_saying_how_to_fill_it(tmp_path: Path) -> None:
    settings = empty_settings(tmp_path)
    _, raw = KeyStore(settings).create("admin", "ops")
    app = create_app(settings, warm_up=False)
    with serve(app) as base, httpx.Client(base_url=base, headers={"X-API-Key": raw}) as client:
        answer = client.get("/customers/100001/profile", timeout=120)
        assert answer.status_code == 503
        assert "ciw run" in answer.json()["detail"]
        ready = client.get("/readyz", timeout=120)
        assert ready.status_code == 503 and ready.json()["ready"] is False
        leads = client.get("/leads")
        assert leads.status_code == 503 and "ciw run" in leads.json()["detail"]


def test_no_key_email_or_phone_reaches_the_logs(
    api: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for who in ("admin", "rep", "manager"):
        api.get(who, "/alerts")
        api.get(who, f"/customers/{first_customer(api)}/profile")
    api.client("nobody").get("/leads", headers={"Authorization": "Bearer ciw_bad_secretvalue"})
    text = caplog.text
    for raw in api.keys.values():
        assert raw not in text and raw.split("_", 2)[2] not in text
    assert "secretvalue" not in text
    assert "@" not in text
