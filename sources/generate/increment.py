"""One more day of events for an existing export: what a daily run loads (``ciw generate
--next-day``).

The day's rows are the event rows of the same weekday of an earlier week of the base export
(the latest week that the base covers), shifted forward a whole number of weeks, with new keys:
the same customers, accounts and habits, one day later. Optionally a share of another day's
rows arrives late: rows for ``late_days_back`` days before the new day, loaded with it.

Only the event tables that grow daily are written (orders and their items, web sessions, cart
events, product usage); reference tables (customers, CRM, billing) are unchanged. Files are
streamed by row group, so a 1M-customer export is never read whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

#: Integer keys of new rows: the source key plus the day's ordinal times this (source keys stay
#: below it), plus half of it for late rows, so every day and its late rows get their own keys.
KEY_DAY_STRIDE = 10_000_000_000
LATE_KEY_OFFSET = KEY_DAY_STRIDE // 2

#: Per table: the timestamp that places a row on a day, the integer and string key columns
#: (including references to other replayed rows), and a parent whose replayed keys pick the rows.
_TABLES: dict[str, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    "commerce/orders": ("ordered_at", ("order_id",), ()),
    "commerce/order_items": (None, ("order_item_id", "order_id"), ()),
    "commerce/web_sessions": ("started_at", (), ("session_id",)),
    "commerce/cart_events": ("occurred_at", ("cart_event_id", "order_id"), ("session_id",)),
    "product/usage_events": ("occurred_at", ("event_id",), ("session_id",)),
}


@dataclass(frozen=True)
class Increment:
    """What ``write_next_day`` wrote: the new day, the day it copied, rows per table."""

    day: dt.date
    source_day: dt.date
    rows: dict[str, int]


def base_end_date(base_dir: Path) -> dt.date:
    """The last day of the base export: the latest day with orders on a normal scale (at least
    a tenth of the mean orders per day), so a few dirty future-dated rows do not count."""
    dataset = ds.dataset(base_dir / "commerce" / "orders.parquet")
    days = pc.cast(dataset.to_table(columns=["ordered_at"])["ordered_at"], pa.date32())
    counts = pc.value_counts(days.combine_chunks().drop_null())
    if len(counts) == 0:
        raise ValueError(f"{base_dir}: commerce/orders.parquet has no order timestamps")
    values, numbers = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
    floor = sum(numbers) / len(numbers) / 10
    return max(day for day, number in zip(values, numbers, strict=True) if number >= floor)


def source_day_for(day: dt.date, end_date: dt.date) -> dt.date:
    """The same weekday as ``day``, whole weeks earlier, on or before ``end_date``."""
    weeks = max(1, -(-(day - end_date).days // 7))
    return day - dt.timedelta(weeks=weeks)


def _day_filter(column: str, day: dt.date) -> ds.Expression:
    start = dt.datetime.combine(day, dt.time())
    return (ds.field(column) >= pa.scalar(start, pa.timestamp("ms"))) & (
        ds.field(column) < pa.scalar(start + dt.timedelta(days=1), pa.timestamp("ms"))
    )


def _shift(table: pa.Table, days: int, int_offset: int, suffix: str, keys: tuple) -> pa.Table:
    int_keys, str_keys = keys
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            column = pc.add(column, pa.scalar(dt.timedelta(days=days), pa.duration("ms")))
        elif name in int_keys:
            column = pc.add(column, pa.scalar(int_offset, column.type))
        elif name in str_keys:
            column = pc.binary_join_element_wise(column, pa.scalar(suffix), "")
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _copy_day(
    base_dir: Path,
    source_day: dt.date,
    target_day: dt.date,
    int_offset: int,
    share: float,
) -> dict[str, pa.Table]:
    days = (target_day - source_day).days
    suffix = f"~{target_day:%Y%m%d}{'L' if int_offset % KEY_DAY_STRIDE else ''}"
    out: dict[str, pa.Table] = {}
    order_ids: pa.Array | None = None
    for name, (time_column, int_keys, str_keys) in _TABLES.items():
        path = base_dir / f"{name}.parquet"
        if not path.exists():
            continue
        dataset = ds.dataset(path)
        if time_column is None:  # order items: those of the orders copied
            if order_ids is None:
                continue
            rows = dataset.to_table(filter=ds.field("order_id").isin(order_ids))
        else:
            rows = dataset.to_table(filter=_day_filter(time_column, source_day))
            if share < 1 and rows.num_rows:
                rows = rows.slice(0, max(1, int(rows.num_rows * share)))
        if name == "commerce/orders":
            # Without nulls: a dirty order without an id would pick every item without one.
            order_ids = rows["order_id"].combine_chunks().drop_null()
        out[name] = _shift(rows, days, int_offset, suffix, (int_keys, str_keys))
    return out


def write_next_day(
    base_dir: Path,
    out_dir: Path,
    day: dt.date | None = None,
    *,
    end_date: dt.date | None = None,
    late_days_back: int | None = None,
    late_share: float = 0.05,
) -> Increment:
    """Write the events of ``day`` (default: the day after the base export's last) to
    ``out_dir/<source>/<table>.parquet``, plus ``late_share`` of the rows of the day
    ``late_days_back`` days before it when given. ``end_date`` is the base export's last day
    (its ``--end-date``; default: estimated from its orders). Returns what was written."""
    end_date = end_date or base_end_date(base_dir)
    day = day or end_date + dt.timedelta(days=1)
    source_day = source_day_for(day, end_date)
    offset = day.toordinal() * KEY_DAY_STRIDE
    tables = _copy_day(base_dir, source_day, day, offset, 1.0)
    if late_days_back:
        late_day = day - dt.timedelta(days=late_days_back)
        late = _copy_day(
            base_dir,
            source_day_for(late_day, end_date),
            late_day,
            offset + LATE_KEY_OFFSET,
            late_share,
        )
        tables = {
            name: pa.concat_tables([table, late[name]]) if name in late else table
            for name, table in tables.items()
        }
    rows: dict[str, int] = {}
    for name, table in tables.items():
        path = out_dir / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        rows[name.replace("/", ".")] = table.num_rows
    return Increment(day=day, source_day=source_day, rows=rows)
