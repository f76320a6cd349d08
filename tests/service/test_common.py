"""The helpers every API router shares: the factor columns and the marts a route needs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import HTTPException, Request

from service.routers.common import Page, factor_columns, factors, require_tables


def request_with_tables(*tables: str) -> Request:
    reader = SimpleNamespace(has_table=lambda table: table in tables)
    return cast(Request, SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(reader=reader))))


def test_factor_columns_name_what_factors_reads_back() -> None:
    columns = factor_columns("risk")
    assert columns == (
        "risk.factor_1_name, risk.factor_1_contribution, risk.factor_2_name,"
        " risk.factor_2_contribution, risk.factor_3_name, risk.factor_3_contribution"
    )
    row: dict[str, Any] = {name.removeprefix("risk."): "x" for name in columns.split(", ")}
    assert len(factors(row)) == 3 and not row


def test_require_tables_passes_when_every_table_exists() -> None:
    require_tables(request_with_tables("marts.a", "marts.b"), "marts.a", "marts.b")


def test_require_tables_names_the_first_missing_table_with_a_404() -> None:
    with pytest.raises(HTTPException) as missing:
        require_tables(request_with_tables("marts.a"), "marts.a", "marts.b")
    assert missing.value.status_code == 404
    assert str(missing.value.detail).startswith("marts.b does not exist yet")


def test_a_page_shapes_its_items_and_says_where_the_next_page_starts() -> None:
    page = Page(limit=2, offset=4)
    rows: list[dict[str, Any]] = [{"id": index} for index in range(3)]
    answer = page.answer(rows, shape=lambda row: {"key": row["id"] * 10}, source="marts")
    assert answer == {
        "source": "marts",
        "items": [{"key": 0}, {"key": 10}],
        "limit": 2,
        "offset": 4,
        "next_offset": 6,
    }
    assert page.answer(rows[:2])["items"] == rows[:2]
    assert page.answer(rows[:2])["next_offset"] is None
