"""Validation rules beyond types, as one table keyed by data type and column-name convention.

They live here, not in the contract YAML, so that analytics engineers keep one plain contract
and the loader keeps its policy in one place. Each rule has its reason:

* money (``numeric`` columns named like an amount) is never negative — refunds, discounts and
  credits are separate positive columns in every source — and never above
  :data:`MONEY_MAX`: a single order or invoice of a billion is a unit or export error;
* percentages lie in 0..100, counts are never negative, CSAT is 1..5, NPS 0..10;
* event timestamps lie between :data:`TIMESTAMP_FLOOR` (no source system predates it) and the
  load time plus :data:`FUTURE_GRACE` (clock skew between systems); planned dates (due dates,
  expected close dates, billing periods) may lie ahead;
* identifiers that identity resolution joins on have a shape: a WhatsApp number is 7-15 digits
  once spelling (spaces, dashes, dots, brackets, ``+``, a ``whatsapp:`` prefix) is removed; QR
  code and cookie ids are letters, digits, dashes and underscores (up to 128) — anything else is
  an export or column-mapping error that would link unrelated people;
* a child row whose parent key is in neither this load nor the warehouse is an orphan, checked
  only when the parent table is part of the same load (:data:`FOREIGN_KEYS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sources.contract import Column

MONEY_MAX = 1_000_000_000
#: Whole-company figures, not transactions.
MONEY_MAX_BY_COLUMN = {"annual_revenue": 10_000_000_000_000}
TIMESTAMP_FLOOR = datetime(1990, 1, 1)
#: The same grace as the dbt var ``future_timestamp_grace_hours``.
FUTURE_GRACE = timedelta(hours=24)

_MONEY = re.compile(r"(amount|total|price|mrr|arr|revenue|subtotal|fee|tax|cost|refund|paid)")
_PERCENT = re.compile(r"(_pct|percent|probability)$")
_COUNT = re.compile(r"(quantity|count|seats|views|opens|visits|seconds)$")
_PLANNED = re.compile(r"(due|close_date|period_|expires|expected|next_|scheduled)")
_RANGES = {"csat_score": (1, 5), "nps_score": (0, 10)}

#: child table, child column -> parent table, parent column
FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("commerce.order_items", "order_id"): ("commerce.orders", "order_id"),
    ("commerce.returns", "order_id"): ("commerce.orders", "order_id"),
    ("commerce.returns", "order_item_id"): ("commerce.order_items", "order_item_id"),
    ("commerce.cart_events", "session_id"): ("commerce.web_sessions", "session_id"),
    ("commerce.web_events", "session_id"): ("commerce.web_sessions", "session_id"),
    ("crm.contacts", "account_id"): ("crm.accounts", "account_id"),
    ("crm.opportunities", "account_id"): ("crm.accounts", "account_id"),
    ("crm.opportunity_stage_history", "opportunity_id"): ("crm.opportunities", "opportunity_id"),
    ("billing.invoices", "subscription_id"): ("billing.subscriptions", "subscription_id"),
    ("billing.payments", "invoice_id"): ("billing.invoices", "invoice_id"),
}


@dataclass(frozen=True)
class FormatRule:
    """The value, after ``strip`` (a regex removed first), must fully match ``pattern``."""

    pattern: str
    strip: str
    description: str


_TOKEN = FormatRule(r"^[A-Za-z0-9_-]{1,128}$", "", "letters, digits, - and _ (up to 128)")
FORMAT_RULES: dict[str, FormatRule] = {
    "whatsapp": FormatRule(r"^[0-9]{7,15}$", r"(?i)^whatsapp:|[\s().+-]", "7-15 digits"),
    "qr_id": _TOKEN,
    "cookie_id": _TOKEN,
}


def format_rule(column: Column) -> FormatRule | None:
    """The shape an identifier column's values must have, or None."""
    if _base_type(column) != "varchar":
        return None
    return FORMAT_RULES.get(column.name.lower())


@dataclass(frozen=True)
class RangeRule:
    """``minimum <= value <= maximum`` (either may be None); ``kind`` names it in reasons."""

    kind: str
    minimum: float | datetime | None
    maximum: float | datetime | None


def _base_type(column: Column) -> str:
    return column.data_type.split("(")[0].strip().lower()


def range_rule(column: Column, loaded_at: datetime) -> RangeRule | None:
    """The range a column's values must lie in, or None."""
    base = _base_type(column)
    name = column.name.lower()
    if name in _RANGES:
        low, high = _RANGES[name]
        return RangeRule("score", low, high)
    if base in ("numeric", "decimal", "double", "real", "integer", "bigint", "smallint"):
        if _PERCENT.search(name):
            return RangeRule("percentage", 0, 100)
        if base in ("numeric", "decimal") and _MONEY.search(name):
            return RangeRule("money amount", 0, MONEY_MAX_BY_COLUMN.get(name, MONEY_MAX))
        if base in ("integer", "bigint", "smallint") and _COUNT.search(name):
            return RangeRule("count", 0, None)
    if base in ("timestamp", "date"):
        ceiling = None if _PLANNED.search(name) else loaded_at + FUTURE_GRACE
        return RangeRule("timestamp", TIMESTAMP_FLOOR, ceiling)
    return None
