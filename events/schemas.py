"""The event sources, their raw tables and entities, and the envelope every event comes in.

An event is one JSON object::

    {"event_id": "ord-1001", "data": {<one row of the source's raw table>}}

``data`` follows the raw-table contract (the dbt sources YAML), exactly as a loaded export row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sources.contract import RawTable, raw_tables

#: The longest body an event may have (one row of a raw table is far smaller).
MAX_BODY_BYTES = 64 * 1024
_EVENT_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


@dataclass(frozen=True)
class EventSource:
    """One webhook source: the raw table its events append to and the entity they move."""

    name: str
    table_key: str
    #: The ``data`` column naming the entity the worker scores (cart: the web session).
    entity_column: str
    entity: str

    @property
    def table(self) -> RawTable:
        return raw_tables()[self.table_key]

    @property
    def secret_env(self) -> str:
        return f"CIW_EVENTS_SECRET_{self.name.upper()}"


SOURCES: dict[str, EventSource] = {
    source.name: source
    for source in (
        EventSource("crm_opportunity", "crm.opportunities", "opportunity_id", "opportunity"),
        EventSource("crm_account", "crm.accounts", "account_id", "account"),
        EventSource("order", "commerce.orders", "customer_id", "customer"),
        EventSource("cart", "commerce.cart_events", "session_id", "customer"),
        EventSource("product_usage", "product.usage_events", "account_id", "account"),
    )
}


class BadEnvelope(ValueError):
    """The body is not an event at all (not JSON, no event id, no data object): 400 / 422."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Envelope:
    event_id: str
    data: dict[str, Any]


def parse_envelope(body: bytes) -> Envelope:
    """The event in ``body``, or ``BadEnvelope`` saying what is wrong with it."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadEnvelope(400, f"malformed JSON: {error}") from None
    if not isinstance(document, dict):
        raise BadEnvelope(422, f"expected a JSON object, got {type(document).__name__}")
    event_id = document.get("event_id")
    if not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
        raise BadEnvelope(
            422,
            "event_id must be a string of 1-128 letters, digits or ._:@- "
            f"(got {json.dumps(event_id)[:80]})",
        )
    data = document.get("data")
    if not isinstance(data, dict) or not data:
        raise BadEnvelope(422, "data must be a non-empty JSON object (one row of the raw table)")
    unknown = sorted(set(document) - {"event_id", "data"})
    if unknown:
        raise BadEnvelope(422, f"unknown envelope field(s): {', '.join(unknown)}")
    return Envelope(event_id, data)
