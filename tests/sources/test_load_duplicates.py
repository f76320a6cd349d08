"""Identical lines in an export without an order id: kept as separate orders, or quarantined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sources.load import LoadError, load_directory, load_mapping
from sources.load.report import FileLoad, LoadReport
from tests.corpus.test_corpus import query
from warehouse.settings import Settings

HEADER = "CustomerID;InvoiceDate;Amount\n"
BASKET = "17850;2024-12-01 08:26;3,50\n"  # the same item twice in one basket, one line each
OTHER = "13047;2024-12-01 08:34;22,00\n"
NEGATIVE = "12583;2024-12-02 10:00;-5,00\n"


def _mapping(directory: Path, extra: str = "") -> Path:
    path = directory / "mapping.yml"
    path.write_text(
        'defaults: {delimiter: ";", decimal_separator: ","}\n'
        "files:\n"
        '  - pattern: "*orders*.csv"\n'
        "    table: commerce.orders\n"
        '    date_format: ["%Y-%m-%d %H:%M"]\n'
        f"{extra}"
        "    columns:\n"
        "      customer_id: CustomerID\n"
        "      ordered_at: InvoiceDate\n"
        "      order_total: Amount\n"
        "      order_id: {derive: hash}\n",
        encoding="utf-8",
    )
    return path


def _export(directory: Path, *lines: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "orders.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    return directory


def _load(directory: Path, settings: Settings, mapping: Path) -> LoadReport:
    return load_directory(directory, settings, mapping=load_mapping(mapping), max_bad_share=1)


def _orders(settings: Settings) -> list[tuple[Any, ...]]:
    return query(
        settings,
        "select _source_row, order_id, customer_id, cast(order_total as varchar) "
        "from raw_commerce.orders order by _source_row",
    )


def _audit(settings: Settings) -> list[tuple[Any, ...]]:
    return query(
        settings,
        "select rows_read, rows_loaded, rows_quarantined, rows_unchanged, duplicates_kept, "
        "duplicates_quarantined from raw_meta.load_audit order by started_at",
    )


def test_identical_lines_are_kept_as_separate_orders_with_their_occurrence(
    tmp_path: Path, warehouse_settings: Settings
) -> None:
    mapping = _mapping(tmp_path)
    single = _load(_export(tmp_path / "single", BASKET), warehouse_settings, mapping)
    (first_key,) = {row[1] for row in _orders(warehouse_settings)}
    assert single.duplicates_kept == 0

    lines = (BASKET, OTHER, BASKET, NEGATIVE, NEGATIVE, BASKET)
    report = _load(_export(tmp_path / "basket", *lines), warehouse_settings, mapping)

    orders = _orders(warehouse_settings)
    basket_keys = [key for _, key, customer, _ in orders if customer == 17850]
    assert len(basket_keys) == 3 and len(set(basket_keys)) == 3  # three orders of 3.50
    assert basket_keys[0] == first_key  # the first occurrence keeps the plain line hash
    # two identical bad lines are quarantined for their fault, not counted as kept repeats
    assert (report.rows_loaded, report.rows_quarantined, report.rows_unchanged) == (3, 2, 1)
    assert (report.duplicates_kept, report.duplicates_quarantined) == (2, 0)
    assert _audit(warehouse_settings)[-1] == (6, 3, 2, 1, 2, 0)


def test_reloading_gives_the_same_keys_and_a_redelivery_loads_only_new_lines(
    tmp_path: Path, warehouse_settings: Settings
) -> None:
    mapping = _mapping(tmp_path)
    day1 = _export(tmp_path / "day1", BASKET, OTHER, BASKET)
    _load(day1, warehouse_settings, mapping)
    before = _orders(warehouse_settings)
    _load(day1, warehouse_settings, mapping)  # the same file again
    assert _orders(warehouse_settings) == before

    # the next export repeats the whole history and brings a third identical line
    day2 = _export(tmp_path / "day2", BASKET, OTHER, BASKET, BASKET)
    report = _load(day2, warehouse_settings, mapping)

    assert (report.rows_loaded, report.rows_unchanged, report.duplicates_kept) == (1, 3, 2)
    keys = [row[1] for row in _orders(warehouse_settings)]
    assert len(keys) == 4 and len(set(keys)) == 4
    assert {row[1] for row in before} < set(keys)


def test_duplicates_quarantine_sends_repeats_to_quarantine_naming_the_first_row(
    tmp_path: Path, warehouse_settings: Settings
) -> None:
    mapping = _mapping(tmp_path, "    duplicates: quarantine\n")
    report = _load(
        _export(tmp_path / "in", BASKET, OTHER, BASKET, BASKET), warehouse_settings, mapping
    )

    assert (report.rows_loaded, report.rows_quarantined) == (2, 2)
    assert (report.duplicates_kept, report.duplicates_quarantined) == (0, 2)
    reasons = query(
        warehouse_settings,
        "select source_file, source_row, column_name, reason from raw_meta.quarantine "
        "order by source_row",
    )
    assert reasons == [
        ("orders.csv", row, "order_id",
         f'column "order_id": identical line: row {row} of orders.csv repeats row 2 exactly '
         "(no order_id in the file tells them apart; duplicates: quarantine keeps the first)")
        for row in (4, 5)
    ]  # fmt: skip
    assert _audit(warehouse_settings) == [(4, 2, 2, 0, 0, 2)]


def test_the_duplicates_option_defaults_to_keep_and_is_checked(tmp_path: Path) -> None:
    assert load_mapping(_mapping(tmp_path)).rules[0].duplicates == "keep"
    assert load_mapping(_mapping(tmp_path, "    duplicates: quarantine\n")).rules[0].duplicates == (
        "quarantine"
    )
    with pytest.raises(
        LoadError, match=r"files\[0\]\.duplicates: expected one of keep, quarantine"
    ):
        load_mapping(_mapping(tmp_path, "    duplicates: drop\n"))

    keyed = tmp_path / "keyed.yml"
    keyed.write_text(
        'files:\n  - pattern: "*.csv"\n    table: commerce.orders\n    duplicates: keep\n',
        encoding="utf-8",
    )
    with pytest.raises(LoadError, match=r"applies only to a rule with a derived key"):
        load_mapping(keyed)


def test_files_with_a_key_column_count_no_duplicate_lines(
    tmp_path: Path, duckdb_settings: Settings
) -> None:
    export = tmp_path / "commerce" / "orders.csv"
    export.parent.mkdir(parents=True)
    line = "1,10,2024-03-01,5\n"
    export.write_text("order_id,customer_id,ordered_at,order_total\n" + line * 2, encoding="utf-8")

    report = load_directory(tmp_path, duckdb_settings, max_bad_share=1)

    assert (report.rows_loaded, report.rows_quarantined, report.duplicates_kept) == (1, 1, 0)
    assert report.duplicate_lines_note() is None


def _file(kept: int, quarantined: int) -> FileLoad:
    return FileLoad("commerce.orders", "orders.csv", "b", 9, 9, 0, (), 0, kept, quarantined)


def test_the_duplicate_lines_note_sums_files() -> None:
    assert LoadReport((_file(2, 0), _file(1, 0))).duplicate_lines_note() == (
        "identical lines without an order id: 3 kept as separate orders"
    )
    assert LoadReport((_file(1, 0), _file(0, 4))).duplicate_lines_note() == (
        "identical lines without an order id: 1 kept as separate orders and "
        "4 quarantined (duplicates: quarantine)"
    )
