"""The next day's increment: the same weekday of an earlier week, shifted, with new keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sources.generate import generate
from sources.generate.config import GeneratorConfig
from sources.generate.increment import source_day_for, write_next_day

END = dt.date(2026, 10, 30)


def test_source_day_is_the_same_weekday_within_the_base() -> None:
    assert source_day_for(dt.date(2026, 10, 31), END) == dt.date(2026, 10, 24)
    assert source_day_for(dt.date(2026, 11, 8), END) == dt.date(2026, 10, 25)
    assert source_day_for(dt.date(2026, 10, 27), END) == dt.date(2026, 10, 20)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base")
    generate(out, GeneratorConfig(customers=200, seed=3, end_date=END, dirty_share=0))
    return out


def _read(directory: Path, name: str) -> dict[str, list]:
    return pq.read_table(directory / f"{name}.parquet").to_pydict()


def test_next_day_copies_a_week_earlier_with_new_keys(base: Path, tmp_path: Path) -> None:
    written = write_next_day(base, tmp_path, end_date=END, late_days_back=3, late_share=1)
    assert (written.day, written.source_day) == (dt.date(2026, 10, 31), dt.date(2026, 10, 24))
    orders, old = _read(tmp_path, "commerce/orders"), _read(base, "commerce/orders")
    days = {moment.date() for moment in orders["ordered_at"]}
    assert days == {dt.date(2026, 10, 31), dt.date(2026, 10, 28)}  # the day and the late day
    copied = [m for m in old["ordered_at"] if m and m.date() == dt.date(2026, 10, 24)]
    assert sum(m.date() == dt.date(2026, 10, 31) for m in orders["ordered_at"]) == len(copied)
    assert not set(orders["order_id"]) & set(old["order_id"])
    assert len(set(orders["order_id"])) == len(orders["order_id"])
    assert set(orders["customer_id"]) <= set(old["customer_id"])
    items = _read(tmp_path, "commerce/order_items")
    assert items["order_id"] and set(items["order_id"]) <= set(orders["order_id"])
    usage = pq.read_table(tmp_path / "product/usage_events.parquet")
    assert usage.num_rows and pc.min(usage["occurred_at"]).as_py().date() == dt.date(2026, 10, 28)
    assert written.rows["commerce.orders"] == len(orders["order_id"])


def test_two_days_never_share_keys(base: Path, tmp_path: Path) -> None:
    first = write_next_day(base, tmp_path / "a", end_date=END)
    second = write_next_day(base, tmp_path / "b", dt.date(2026, 11, 7), end_date=END)
    assert first.source_day == second.source_day  # the same rows copied, to another day
    one, two = _read(tmp_path / "a", "commerce/orders"), _read(tmp_path / "b", "commerce/orders")
    assert one["order_id"] and not set(one["order_id"]) & set(two["order_id"])


def test_items_without_an_order_id_are_not_copied(tmp_path: Path) -> None:
    """A dirty order without an id on the copied day must not pick up every item without one
    (the day's increment then failed the loader's bad-row limit)."""
    import pyarrow as pa

    base, out = tmp_path / "base", tmp_path / "out"
    (base / "commerce").mkdir(parents=True)
    at = dt.datetime(2026, 10, 24, 9)
    orders = {"order_id": [1, None], "customer_id": [7, 8], "ordered_at": [at, at]}
    pq.write_table(pa.table(orders), base / "commerce/orders.parquet")
    items = {"order_item_id": [10, 11, 12], "order_id": [1, None, None]}
    pq.write_table(pa.table(items), base / "commerce/order_items.parquet")

    written = write_next_day(base, out, end_date=END)

    copied = _read(out, "commerce/order_items")
    assert written.rows["commerce.order_items"] == 1
    assert copied["order_item_id"] == [10 + dt.date(2026, 10, 31).toordinal() * 10_000_000_000]
