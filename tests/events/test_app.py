"""The project's HTTP service (``service.app.create_app``) mounts ``POST /events/{source}``:
a signed event is accepted over real HTTP, an unsigned one refused, without an API key (the
webhook authenticates by its signature)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from service.app import create_app
from tests.events.client import post_event, secret_env
from tests.http_server import serve
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
