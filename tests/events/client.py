"""Signed event requests for tests and the benchmark (the caller's side of docs/events.md)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRETS = {
    "crm_opportunity": "test-secret-opportunity",
    "crm_account": "test-secret-account",
    "order": "test-secret-order",
    "cart": "test-secret-cart",
    "product_usage": "test-secret-usage",
}


def secret_env() -> dict[str, str]:
    return {f"CIW_EVENTS_SECRET_{source.upper()}": secret for source, secret in SECRETS.items()}


def signed_headers(source: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(SECRETS[source], stamp, body),
        "Content-Type": "application/json",
    }


def body_of(event_id: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"event_id": event_id, "data": data}).encode()


def post_event(
    client: httpx.Client,
    url: str,
    source: str,
    event_id: str,
    data: dict[str, Any],
    timestamp: int | None = None,
) -> httpx.Response:
    """A signed POST (a repeat of the same body needs another timestamp: signatures are
    accepted once)."""
    body = body_of(event_id, data)
    headers = signed_headers(source, body, timestamp)
    return client.post(f"{url}/events/{source}", content=body, headers=headers)
