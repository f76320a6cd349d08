"""How the pages read the marts: through the service's read-only reader, rows filtered to the
caller's scope in SQL, and the marts' age for the staleness banner.

A scope is the set of CRM user ids whose rows the caller may see (``None``: everything). Rows
without an owner (shop customers, channel alerts) are only shown to callers who see everything.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

#: The marts the pages read; a warehouse without the first one has never been built.
REQUIRED_MART = "marts.pipeline_health"
#: Marts older than this get a banner on every page.
STALE_AFTER_HOURS = 26.0
#: Where each mart's build time can be read (the latest timestamp the run wrote into it).
FRESHNESS_COLUMNS = (
    ("marts.alerts", "created_at"),
    ("marts.deal_risk_scores", "scored_at"),
    ("marts.customer_risk_scores", "scored_at"),
)

OwnerScope = frozenset[str] | None


class MartsMissing(LookupError):
    """The warehouse has no marts yet (a fresh warehouse before its first run)."""


def owner_filter(columns: Sequence[str], scope: OwnerScope) -> tuple[str, list[Any]]:
    """A SQL condition keeping rows owned (through any of ``columns``) by someone in ``scope``."""
    if scope is None:
        return "1 = 1", []
    if not scope:
        return "1 = 0", []
    owners = sorted(scope)
    marks = ", ".join(["%s"] * len(owners))
    condition = " or ".join(f"{column} in ({marks})" for column in columns)
    return f"({condition})", [owner for _ in columns for owner in owners]


class MartSource(Protocol):
    """What the pages need of the service's reader (``service.reader.MartsReader``)."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def published_at(self) -> datetime | None: ...


#: The tables each reader lists, for a few seconds (every page asks; a new run adds tables).
_TABLE_LISTS: weakref.WeakKeyDictionary[Any, tuple[float, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)
TABLE_LIST_SECONDS = 5.0


def _listed_tables(source: MartSource) -> frozenset[str]:
    now = time.monotonic()
    cached = _TABLE_LISTS.get(source)
    if cached is not None and cached[0] > now:
        return cached[1]
    listed = source.rows(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('marts', 'ops')"
    )
    tables = frozenset(f"{row['table_schema']}.{row['table_name']}" for row in listed)
    _TABLE_LISTS[source] = (now + TABLE_LIST_SECONDS, tables)
    return tables


class MartReader:
    """The queries of one page on the service's read-only view of the marts (the published
    snapshot on DuckDB, the read-only role on PostgreSQL)."""

    def __init__(self, source: MartSource) -> None:
        self.source = source
        self._tables: frozenset[str] | None = None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.source.rows(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        found = self.source.rows(sql, params)
        return found[0] if found else {}

    def has(self, qualified_name: str) -> bool:
        if self._tables is None:
            self._tables = _listed_tables(self.source)
        return qualified_name in self._tables

    def require(self) -> None:
        if not self.has(REQUIRED_MART):
            raise MartsMissing(REQUIRED_MART)

    def built_at(self) -> datetime | None:
        """When the marts were last published by a run, else the latest run timestamp in them
        (UTC)."""
        latest = self.source.published_at()
        if latest is None:
            for table, column in FRESHNESS_COLUMNS:
                if self.has(table):
                    value = self.one(f"select max({column}) as at from {table}").get("at")
                    if isinstance(value, datetime) and (latest is None or value > latest):
                        latest = value
        if latest is not None and latest.tzinfo is None:
            latest = latest.replace(tzinfo=UTC)
        return latest


def marts_age_hours(built_at: datetime | None, now: datetime | None = None) -> float | None:
    if built_at is None:
        return None
    return ((now or datetime.now(UTC)) - built_at).total_seconds() / 3600


def is_stale(age_hours: float | None) -> bool:
    return age_hours is not None and age_hours > STALE_AFTER_HOURS
