"""Cutting the raw layer at a date: what the warehouse held before it, for backtests.

It uses the loader's own policy (:mod:`sources.load.rules`): which columns are event
timestamps (planned dates such as due dates are not) and which child tables hang off which
parent, so a new raw table is cut without a change here.
"""

from __future__ import annotations

import datetime as dt

from warehouse.settings import Settings


def _execute(settings: Settings, statements: list[str]) -> list[int]:
    """Run statements in one transaction; the first column of each one's first row (or 0)."""
    from warehouse import adapter_for

    results: list[int] = []
    with adapter_for(settings).session(transaction=True) as session:
        for statement in statements:
            rows = session.execute(statement)
            results.append(int(rows[0][0]) if rows else 0)
    return results


def cut_raw_layer(settings: Settings, as_of: dt.date) -> dict[str, int]:
    """Delete raw rows that did not exist before ``as_of``; rows deleted per table.

    A row's existence starts at its earliest event timestamp (planned dates such as due
    dates do not count); a row with none stays. Children without timestamps (order items)
    go with their deleted parent. Later timestamps on rows that existed (a cancellation after
    the as-of date) stay, and the pipeline's point-in-time rule ignores them.
    """
    from sources.contract import raw_tables
    from sources.load.rules import FOREIGN_KEYS, range_rule

    cut = f"timestamp '{as_of.isoformat()} 00:00:00'"
    now = dt.datetime.now()
    statements: list[str] = []
    keys: list[str] = []
    for key, table in sorted(raw_tables().items()):
        events = [
            column.name
            for column in table.columns
            if (rule := range_rule(column, now)) is not None
            and rule.kind == "timestamp"
            and rule.maximum is not None
        ]
        if not events:
            continue
        before = " or ".join(f"coalesce({name} < {cut}, false)" for name in events)
        known = " or ".join(f"{name} is not null" for name in events)
        condition = f"not ({before}) and ({known})"
        statements += [f"select count(*) from {table.relation} where {condition}"]
        statements += [f"delete from {table.relation} where {condition}"]
        keys.append(key)
    tables = raw_tables()
    for (child, column), (parent, parent_column) in FOREIGN_KEYS.items():
        if child in keys:  # it has timestamps of its own
            continue
        parent_relation = tables[parent].relation
        condition = (
            f"{column} is not null and {column} not in (select {parent_column} from "
            f"{parent_relation} where {parent_column} is not null) "
            f"and exists (select 1 from {parent_relation})"
        )
        statements += [f"select count(*) from {tables[child].relation} where {condition}"]
        statements += [f"delete from {tables[child].relation} where {condition}"]
        keys.append(child)
    counts = _execute(settings, statements)[0::2]
    cut_rows: dict[str, int] = {}
    for key, count in zip(keys, counts, strict=True):
        if count:
            cut_rows[key] = cut_rows.get(key, 0) + count
    return cut_rows
