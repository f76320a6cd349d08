"""Dirty-row injection, applied the same way to every table after it is built.

Kinds (each about a fifth of ``dirty_share`` of the rows, on distinct rows):

* ``null_key``: a required column (key or required timestamp) set to null;
* ``negative``: a money column negated (tables with money columns);
* ``future``: a timestamp moved 1-365 days after ``end_date``;
* ``unparseable``: CSV only, a numeric/date/timestamp value replaced by ``n/a``, ``12,5x``,
  ``31/02/2025`` or an empty string (the column is written as text);
* ``duplicate``: exact copies of rows placed right after the original.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import RawTable
from sources.generate import constants as k
from sources.generate.common import Context

DIRTY_KINDS = ("null_key", "negative", "future", "unparseable", "duplicate")
_NUMERIC_TYPES = ("bigint", "integer", "timestamp", "date")


def _set(table: pa.Table, name: str, rows: np.ndarray, values: pa.Array) -> pa.Table:
    """Replace ``name`` at ``rows`` with ``values`` (same length as the table)."""
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    column = table.column(name).combine_chunks()
    updated = pc.if_else(pa.array(mask), values, column)
    return table.set_column(table.schema.get_field_index(name), name, updated)


def _null_keys(
    table: pa.Table, contract: RawTable, rows: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    required = [c.name for c in contract.columns if c.required]
    which = rng.integers(0, len(required), size=len(rows))
    for i, name in enumerate(required):
        column_type = table.schema.field(name).type
        nulls = pa.nulls(table.num_rows, column_type)
        table = _set(table, name, rows[which == i], nulls)
    return table


def _negative(table: pa.Table, contract: RawTable, rows: np.ndarray) -> pa.Table:
    money = [c.name for c in contract.columns if c.data_type.startswith("numeric")]
    for i, name in enumerate(money):
        part = rows[i :: len(money)]
        table = _set(table, name, part, pc.negate(table.column(name).combine_chunks()))
    return table


def _future(
    table: pa.Table, contract: RawTable, rows: np.ndarray, ctx: Context, rng: np.random.Generator
) -> pa.Table:
    stamps = [c for c in contract.columns if c.data_type == "timestamp"]
    if not stamps:
        return table
    name = next((c.name for c in stamps if c.required), stamps[0].name)
    late = ctx.end_ts + rng.integers(86_400, 366 * 86_400, size=table.num_rows)
    return _set(table, name, rows, pa.array(late, pa.timestamp("s")))


def _unparseable(
    table: pa.Table, contract: RawTable, rows: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    targets = [
        c.name
        for c in contract.columns
        if c.name != contract.primary_key
        and (c.data_type in _NUMERIC_TYPES or c.data_type.startswith("numeric"))
    ]
    for i, name in enumerate(targets):
        part = rows[i :: len(targets)]
        if len(part) == 0:
            continue
        text = pc.cast(table.column(name).combine_chunks(), pa.string())
        table = table.set_column(table.schema.get_field_index(name), name, text)
        junk_index = rng.integers(0, len(k.UNPARSEABLE_VALUES), size=table.num_rows)
        junk = pa.array(list(k.UNPARSEABLE_VALUES)).take(pa.array(junk_index))
        table = _set(table, name, part, junk)
    return table


def inject(
    table: pa.Table, contract: RawTable, ctx: Context, is_csv: bool
) -> tuple[pa.Table, np.ndarray | None]:
    """The table with ``dirty_share`` of its rows made dirty (none at share 0), and the order
    of rows to write it in (duplicates repeat a row right after it; ``None``: as it is).

    The order is returned rather than applied so that the writer can take it a slice at a
    time: a whole copy of the largest table is what the generator's peak memory was made of.
    """
    share = ctx.config.dirty_share
    n = table.num_rows
    if share <= 0 or n == 0:
        return table, None
    rng = ctx.rng(f"dirty.{contract.key}")
    per_kind = max(1, round(share * n / len(DIRTY_KINDS)))
    chosen = rng.permutation(n)[: per_kind * 4]
    null_rows, negative_rows, future_rows, junk_rows = (
        np.sort(chosen[i * per_kind : (i + 1) * per_kind]) for i in range(4)
    )
    table = _null_keys(table, contract, null_rows, rng)
    table = _negative(table, contract, negative_rows)
    table = _future(table, contract, future_rows, ctx, rng)
    if is_csv:
        table = _unparseable(table, contract, junk_rows, rng)
    duplicates = rng.integers(0, n, size=per_kind)
    return table, np.sort(np.concatenate([np.arange(n), duplicates]), kind="stable")
