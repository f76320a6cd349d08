"""``POST /events/{source}`` over real HTTP on loopback (uvicorn), on DuckDB and PostgreSQL:
valid events land in raw and the inbox, bad rows in quarantine with a 422 naming the reason,
repeats change nothing, and hostile requests get a clear 4xx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from benchmarks.http_server import serve
from events.service import EventsService
from service.routers.events import standalone_app
from tests.events.client import SECRETS, body_of, post_event, secret_env, signed_headers
from warehouse import adapter_for
from warehouse.settings import Settings


def now_text(offset_hours: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=offset_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def order(order_id: int, total: Any = "49.90", customer_id: Any = 17) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": now_text(-1),
        "order_total": total,
        "currency": "EUR",
    }


@pytest.fixture
def endpoint(
    warehouse_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Settings, EventsService]]:
    for key, value in secret_env().items():
        monkeypatch.setenv(key, value)
    service = EventsService.open(warehouse_settings, queue_max=50)
    with serve(standalone_app(service)) as url:
        yield url, warehouse_settings, service


def rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with adapter_for(settings).session() as session:
        return session.execute(sql)


def test_a_valid_event_is_in_raw_and_queued_before_the_202(endpoint: Any) -> None:
    url, settings, _ = endpoint
    with httpx.Client() as client:
        answer = post_event(client, url, "order", "ord-1", order(1001))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    raw = rows(
        settings, "select order_id, customer_id, order_total, _batch_id from raw_commerce.orders"
    )
    assert [(r[0], r[1], float(r[2]), r[3]) for r in raw] == [(1001, 17, 49.9, "event:order:ord-1")]
    inbox = rows(settings, "select source, event_id, entity_id, status from ops.event_inbox")
    assert inbox == [("order", "ord-1", "17", "pending")]


def test_a_repeated_event_id_answers_200_and_changes_nothing(endpoint: Any) -> None:
    url, settings, _ = endpoint
    with httpx.Client() as client:
        first = post_event(client, url, "order", "ord-2", order(1002))
        again = post_event(client, url, "order", "ord-2", order(1002, total="99.00"))
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert rows(
        settings, "select count(*), cast(max(order_total) as varchar) from raw_commerce.orders"
    ) == [(1, "49.90")]


def test_a_row_the_loader_refuses_is_quarantined_and_answered_422(endpoint: Any) -> None:
    url, settings, _ = endpoint
    with httpx.Client() as client:
        answer = post_event(client, url, "order", "ord-3", order(1003, total=-5, customer_id="x"))
        again = post_event(
            client,
            url,
            "order",
            "ord-3",
            order(1003, total=-5, customer_id="x"),
            int(time.time()) - 5,
        )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert 'column "order_total": -5.00 is negative' in detail
    assert 'column "customer_id": "x" is not a valid bigint' in detail
    assert again.status_code == 422 and "refused before" in again.json()["detail"]
    quarantined = rows(
        settings, "select table_key, source_file, column_name, reason from raw_meta.quarantine"
    )
    assert len(quarantined) == 1
    assert quarantined[0][:3] == (
        "commerce.orders",
        "events/order/ord-3",
        "customer_id, order_total",
    )
    assert rows(settings, "select count(*) from raw_commerce.orders") == [(0,)]
    assert rows(settings, "select status from ops.event_inbox") == [("quarantined",)]


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("unsigned", 401, "missing X-CIW-Timestamp or X-CIW-Signature"),
        ("forged", 401, "signature does not match"),
        ("other_source_secret", 401, "signature does not match"),
        ("stale", 401, "outside the 5-minute window"),
        ("future", 401, "outside the 5-minute window"),
        ("replayed", 401, "replay"),
        ("oversized", 413, "larger than"),
        ("malformed_json", 400, "malformed JSON"),
        ("not_an_object", 422, "expected a JSON object"),
        ("no_event_id", 422, "event_id must be"),
        ("no_data", 422, "data must be a non-empty JSON object"),
        ("wrong_types", 422, "is not a valid"),
        ("missing_required", 422, "required column"),
        ("unknown_source", 404, "unknown event source"),
    ],
)
def test_hostile_requests_get_a_clear_4xx_and_change_nothing(
    endpoint: Any, case: str, status: int, words: str
) -> None:
    url, settings, _ = endpoint
    body = body_of("ord-h", order(2001))
    headers = signed_headers("order", body)
    path = "order"
    if case == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif case == "forged":
        headers["X-CIW-Signature"] = "v0=" + "0" * 64
    elif case == "other_source_secret":
        headers = signed_headers("cart", body)
    elif case == "stale":
        headers = signed_headers("order", body, int(time.time()) - 400)
    elif case == "future":
        headers = signed_headers("order", body, int(time.time()) + 400)
    elif case == "oversized":
        body = body_of("ord-h", {**order(2001), "channel": "x" * 70_000})
        headers = signed_headers("order", body)
    elif case == "malformed_json":
        body = b'{"event_id": "ord-h", "data": {'
        headers = signed_headers("order", body)
    elif case == "not_an_object":
        body = b"[1, 2]"
        headers = signed_headers("order", body)
    elif case == "no_event_id":
        body = json.dumps({"data": order(2001)}).encode()
        headers = signed_headers("order", body)
    elif case == "no_data":
        body = json.dumps({"event_id": "ord-h", "data": []}).encode()
        headers = signed_headers("order", body)
    elif case == "wrong_types":
        body = body_of("ord-h", {**order(2001), "order_id": 12.5, "ordered_at": {"a": 1}})
        headers = signed_headers("order", body)
    elif case == "missing_required":
        body = body_of("ord-h", {"order_id": 1, "customer_id": 2})
        headers = signed_headers("order", body)
    elif case == "unknown_source":
        path = "invoices"
    with httpx.Client() as client:
        if case == "replayed":
            first = client.post(f"{url}/events/order", content=body, headers=headers)
            assert first.status_code == 202
        answer = client.post(f"{url}/events/{path}", content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]
    assert "Traceback" not in answer.text
    expected_raw = 1 if case == "replayed" else 0
    assert rows(settings, "select count(*) from raw_commerce.orders") == [(expected_raw,)]


def test_a_full_queue_answers_429_with_retry_after(endpoint: Any) -> None:
    url, settings, _ = endpoint
    with httpx.Client() as client:
        answers = [post_event(client, url, "order", f"q-{i}", order(3000 + i)) for i in range(55)]
    codes = [answer.status_code for answer in answers]
    assert codes[:50] == [202] * 50
    assert set(codes[50:]) == {429}
    assert answers[-1].headers["Retry-After"] == "5"
    assert rows(settings, "select count(*) from raw_commerce.orders") == [(50,)]


def test_without_a_secret_the_source_is_switched_off(
    endpoint: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _, _ = endpoint
    monkeypatch.delenv("CIW_EVENTS_SECRET_ORDER")
    with httpx.Client() as client:
        answer = post_event(client, url, "order", "ord-s", order(4001))
    assert answer.status_code == 503
    assert "CIW_EVENTS_SECRET_ORDER is not set" in answer.json()["detail"]
    assert SECRETS["order"] not in answer.text
