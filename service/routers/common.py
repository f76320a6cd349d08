"""What every API router shares: the caller's scope, pages of rows, JSON-safe values."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request

from service.auth import Caller, require_caller
from service.reader import MartsReader
from service.scope import Scope

MAX_OFFSET = 1_000_000
#: The marts carry their top factors as ``<prefix>_<position>_name`` / ``_contribution``.
FACTOR_POSITIONS = (1, 2, 3)
#: OpenAPI ``responses`` of a route that writes to the warehouse: ``service.app`` answers
#: ``WarehouseBusy`` with 503 and Retry-After.
WAREHOUSE_BUSY: dict[int | str, dict[str, Any]] = {
    503: {"description": "a pipeline run holds the warehouse (DuckDB); retry"}
}


def reader_of(request: Request) -> MartsReader:
    reader: MartsReader = request.app.state.reader
    return reader


async def caller_scope(request: Request) -> Scope:
    """FastAPI dependency: the verified caller's scope (401 / 429 before it). Async, so the
    hot path takes no thread hop: a cached key and scope cost microseconds."""
    caller: Caller = require_caller(request)
    scope: Scope = request.app.state.scopes.scope(caller)
    return scope


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int

    def sql(self) -> str:
        return f" limit {self.limit + 1} offset {self.offset}"

    def answer(
        self,
        rows: list[dict[str, Any]],
        shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The page's items (each through ``shape``, else made JSON-safe), and the offset of the
        next page (None on the last)."""
        more = len(rows) > self.limit
        items = [(shape or plain_row)(row) for row in rows[: self.limit]]
        return {
            **extra,
            "items": items,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": self.offset + self.limit if more else None,
        }


async def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Rows per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
) -> Page:
    """FastAPI dependency: ``limit`` (at most ``CIW_API_MAX_PAGE``, 500) and ``offset``."""
    largest = request.app.state.options.max_page_size
    if limit > largest:
        raise HTTPException(status_code=422, detail=f"limit: at most {largest} rows per page")
    return Page(limit=limit, offset=offset)


def forbidden(detail: str) -> HTTPException:
    return HTTPException(status_code=403, detail=detail)


def not_found(detail: str) -> HTTPException:
    return HTTPException(status_code=404, detail=detail)


def require_tables(request: Request, *tables: str) -> None:
    """404 unless every one of ``tables`` is in the marts (a warehouse without a CRM has no
    sales marts)."""
    reader = reader_of(request)
    for table in tables:
        if not reader.has_table(table):
            raise not_found(f"{table} does not exist yet: run `ciw run` on a warehouse with a CRM")


def plain(value: Any) -> Any:
    """A value JSON can carry: dates as ISO text, decimals as floats, NaN as null."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return plain(value.item())
    return value


def plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(value) for name, value in row.items()}


def factor_columns(alias: str) -> str:
    """The select list of the factor columns of ``alias`` that :func:`factors` reads back."""
    return ", ".join(
        f"{alias}.factor_{position}_{part}"
        for position in FACTOR_POSITIONS
        for part in ("name", "contribution")
    )


def factors(row: dict[str, Any], prefix: str = "factor") -> list[dict[str, Any]]:
    """``<prefix>_1_name`` / ``_contribution`` ... as a list, strongest first, gaps dropped."""
    found = []
    for position in FACTOR_POSITIONS:
        name = row.pop(f"{prefix}_{position}_name", None)
        contribution = row.pop(f"{prefix}_{position}_contribution", None)
        if name:
            found.append({"name": name, "contribution": plain(contribution)})
    return found


def latest(table: str) -> str:
    """The rows of ``table`` at its latest ``as_of_date`` (marts keep one date or a history)."""
    return f"(select * from {table} where as_of_date = (select max(as_of_date) from {table}))"
