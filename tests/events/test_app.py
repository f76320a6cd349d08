"""The project's HTTP service (``service.app.create_app``) mounts ``POST /events/{source}``:
a signed event is accepted over real HTTP, an unsigned one refused, without an API key (the
webhook authenticates by its signature); on PostgreSQL the service runs the event worker."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from benchmarks.http_server import serve
from events.rules import alert_id
from service.app import create_app
from tests.built import BuiltWarehouse
from tests.events.client import post_event, secret_env
from tests.events.conftest import copy_of, messages_of
from tests.events.test_crash import free_port, start
from tests.notifier.slack_standin import SlackStandIn
from warehouse import adapter_for
from warehouse.settings import Settings


def test_create_app_serves_the_events_webhook(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in secret_env().items():
        monkeypatch.setenv(key, value)
    ordered = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {"order_id": 1, "customer_id": 2, "ordered_at": ordered, "order_total": "5.00"}
    with serve(create_app(duckdb_settings, warm_up=False)) as url, httpx.Client() as client:
        accepted = post_event(client, url, "order", "app-1", data)
        unsigned = client.post(f"{url}/events/order", json={"event_id": "x", "data": data})
        app = client.get(f"{url}/openapi.json").json()
    assert accepted.status_code == 202, accepted.text
    assert unsigned.status_code == 401
    assert "/events/{source}" in app["paths"]
    with adapter_for(duckdb_settings).session() as session:
        assert session.execute("select count(*) from raw_commerce.orders") == [(1,)]


@pytest.mark.postgres
def test_ciw_serve_runs_the_event_worker_on_postgres(
    built_postgres: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ciw serve`` on PostgreSQL (+ Redis) runs the worker in its process: an accepted order
    is worked and its LTV alert reaches Slack without another command."""
    monkeypatch.setenv("CIW_FEAST_ONLINE_STORE", "redis")  # before the copy syncs Feast
    slack = SlackStandIn().start()
    try:
        for settings in copy_of(built_postgres, tmp_path):
            port = free_port()
            log = tmp_path / "serve.log"
            extra = {"CIW_FEAST_ONLINE_STORE": "redis", "CIW_EVENTS_WORKER": ""}
            process = start(settings, slack, port, log, ("serve",), extra)
            try:
                customer = 77_000_001  # new: this order alone takes it past the first milestone
                ordered = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
                data = {
                    "order_id": 990_100_001,
                    "customer_id": customer,
                    "ordered_at": ordered,
                    "order_total": "1200.00",
                }
                expected = alert_id("ltv_milestone", "customer", str(customer), "milestone-1000")
                with httpx.Client() as client:
                    answer = post_event(client, f"http://127.0.0.1:{port}", "order", "s-1", data)
                assert answer.status_code == 202, answer.text
                deadline = time.monotonic() + 120
                status = None
                while time.monotonic() < deadline:
                    with adapter_for(settings).session() as session:
                        status = session.execute(
                            "select status from ops.event_inbox where event_id = 's-1'"
                        )
                    if status == [("done",)] and messages_of(slack, expected):
                        break
                    time.sleep(0.5)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
            assert status == [("done",)], log.read_text()[-3000:]
            assert len(messages_of(slack, expected)) == 1
    finally:
        slack.stop()
