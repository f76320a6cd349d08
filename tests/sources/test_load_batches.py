"""Batches across loads: re-delivery, unchanged rows, updates, late-arriving rows, the limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sources.load import LoadError, load_directory
from tests.corpus.test_corpus import query
from tests.sources.load_exports import write
from warehouse.settings import Settings

HEADER = "order_id,customer_id,ordered_at,order_total\n"


def audit(settings: Settings) -> list[tuple[Any, ...]]:
    return query(
        settings,
        "select source_file, rows_read, rows_loaded, rows_quarantined, rows_unchanged "
        "from raw_meta.load_audit order by started_at, source_file",
    )


def test_redelivery_overlap_update_and_late_rows(tmp_path: Path, warehouse_settings: Settings):
    first, second = tmp_path / "day1", tmp_path / "day2"
    write(first, "commerce/orders.csv", HEADER + "1,10,2024-03-01,5\n2,11,2024-03-02,6\n")
    load_directory(first, warehouse_settings)
    load_directory(first, warehouse_settings)  # the same file again: nothing twice
    assert query(warehouse_settings, "select count(*) from raw_commerce.orders") == [(2,)]

    # day 2 repeats order 1 unchanged, corrects order 2, and brings a late order from February
    write(
        second,
        "commerce/orders.csv",
        HEADER + "1,10,2024-03-01,5\n2,11,2024-03-02,7.5\n3,12,2024-02-10,9\n",
    )
    report = load_directory(second, warehouse_settings)
    load_directory(second, warehouse_settings)

    assert (report.rows_loaded, report.rows_unchanged, report.rows_quarantined) == (2, 1, 0)
    rows = query(
        warehouse_settings,
        "select order_id, cast(order_total as varchar), _source_file from raw_commerce.orders "
        "order by order_id, order_total",
    )
    assert [(order, total) for order, total, _ in rows] == [
        (1, "5.00"), (2, "6.00"), (2, "7.50"), (3, "9.00"),
    ]  # fmt: skip
    assert [row[1:] for row in audit(warehouse_settings)] == [(2, 2, 0, 0), (3, 2, 0, 1)]


def test_children_of_orders_loaded_earlier_are_not_orphans(
    tmp_path: Path, warehouse_settings: Settings
):
    write(tmp_path / "a", "commerce/orders.csv", HEADER + "1,10,2024-03-01,5\n")
    load_directory(tmp_path / "a", warehouse_settings)
    write(tmp_path / "b", "commerce/orders.csv", HEADER + "2,10,2024-03-02,5\n")
    write(tmp_path / "b", "commerce/order_items.csv", "order_item_id,order_id\n7,1\n8,2\n9,3\n")

    report = load_directory(tmp_path / "b", warehouse_settings, max_bad_share=1)

    assert report.rows_loaded == 3 and report.rows_quarantined == 1
    assert query(warehouse_settings, "select source_row, reason from raw_meta.quarantine") == [
        (4, 'column "order_id": 3 has no row in commerce.orders '
         "(neither in this load nor loaded before)")
    ]  # fmt: skip


def _dirty(directory: Path, bad: int, total: int) -> None:
    lines = [f"{n},{n},2024-03-01,{'x' if n <= bad else n}" for n in range(1, total + 1)]
    write(directory, "commerce/orders.csv", HEADER + "\n".join(lines) + "\n")
    write(directory, "commerce/customers.csv", "customer_id\n1\n")


def test_a_file_above_the_bad_share_fails_the_whole_load(
    tmp_path: Path, duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    _dirty(tmp_path, bad=11, total=50)  # 22%
    with pytest.raises(LoadError, match=r"11 of 50 rows \(22\.0%\).*above the 20% limit"):
        load_directory(tmp_path, duckdb_settings)
    assert query(duckdb_settings, "select count(*) from raw_commerce.customers") == [(0,)]

    monkeypatch.setenv("CIW_MAX_BAD_SHARE", "0.25")
    assert load_directory(tmp_path, duckdb_settings).rows_quarantined == 11
    with pytest.raises(LoadError, match=r"above the 10% limit"):
        load_directory(tmp_path, duckdb_settings, max_bad_share=0.1)


def test_a_handful_of_bad_rows_in_a_tiny_file_never_fails(
    tmp_path: Path, duckdb_settings: Settings
):
    _dirty(tmp_path, bad=9, total=10)
    assert load_directory(tmp_path, duckdb_settings).rows_quarantined == 9


def test_bad_share_setting_must_be_a_share(
    tmp_path: Path, duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    _dirty(tmp_path, bad=0, total=1)
    monkeypatch.setenv("CIW_MAX_BAD_SHARE", "lots")
    with pytest.raises(LoadError, match="CIW_MAX_BAD_SHARE must be a share between 0 and 1"):
        load_directory(tmp_path, duckdb_settings)
