"""The bad-input corpus: every case in ``cases/`` has its exact outcome, on DuckDB and Postgres.

An outcome is either one :class:`LoadError` line naming the file (and line, column where there
is one) with nothing loaded, or the exact rows loaded and quarantined (row, reason). Every case
also checks that no good row is lost: the keys in raw are exactly the good rows' keys, and the
audit balances for every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sources.load import LoadError, load_directory, load_mapping
from warehouse.settings import Settings

CASES = Path(__file__).parent / "cases"
ORDERS, CUSTOMERS, ITEMS = "commerce.orders", "commerce.customers", "commerce.order_items"
KEYS = {ORDERS: "order_id", CUSTOMERS: "customer_id", ITEMS: "order_item_id"}


def _money(row: int, value: str, kind: str = "negative") -> tuple[str, int, str]:
    return (
        ORDERS,
        row,
        f'column "order_total": {value} is {kind} (a money amount must be 0..1000000000)',
    )


def _invalid(table: str, row: int, column: str, value: str, dtype: str) -> tuple[str, int, str]:
    return (table, row, f'column "{column}": "{value}" is not a valid {dtype}')


def _missing(row: int, column: str) -> tuple[str, int, str]:
    return (ORDERS, row, f'column "{column}": required value is missing')


@dataclass(frozen=True)
class Outcome:
    error: str | None = None
    loaded: dict[str, list[str]] = field(default_factory=dict)
    quarantined: list[tuple[str, int, str]] = field(default_factory=list)


ERRORS = {
    "empty_file": "commerce/orders.csv: the file is empty (0 bytes)",
    "missing_required_column": "commerce/orders.csv: line 1: required column 'order_total' "
    "(commerce.orders.order_total) is missing",
    "wrong_delimiter": "commerce/orders.csv: line 1: the header is one column "
    "'order_id;customer_id;ordered_at;order_total'; the file looks ';'-delimited: "
    "set delimiter: ';' in the mapping",
    "latin1_bytes": "commerce/customers.csv: line 3, column 'city': byte 0xfc is not valid "
    "UTF-8; set the file's encoding (e.g. encoding: latin-1) in the mapping",
    "unterminated_quote": "commerce/customers.csv: line 3: Value with unterminated quote found.",
    "ragged_rows": "commerce/customers.csv: line 3: Expected Number of Columns: 2 Found: 3",
    "csv_named_parquet": "commerce/orders.parquet: not a Parquet file "
    "(it starts with 'order_id,cus')",
    "parquet_named_csv": "commerce/orders.csv: is a Parquet file, not CSV text",
    "gzip_named_csv": "commerce/orders.csv: is a gzip archive, not CSV text",
    "parquet_truncated": "commerce/orders.parquet: truncated Parquet file (the footer is missing)",
    "parquet_wrong_schema": "commerce/orders.parquet: column 'order_id' is TIMESTAMP in the file "
    "but commerce.orders.order_id is bigint (wrong schema)",
    "jsonl_malformed": "commerce/orders.jsonl: line 4: malformed JSON (unexpected end of data)",
    "jsonl_not_objects": "commerce/orders.jsonl: record 2: expected a JSON object, got ARRAY",
    "too_many_bad_rows": "commerce/orders.csv: 12 of 40 rows (30.0%) failed validation, above the "
    "20% limit (--max-bad-share, CIW_MAX_BAD_SHARE); nothing was loaded. Most common: "
    'column "order_total": "bad" is not a valid numeric(18,2)',
}

OUTCOMES: dict[str, Outcome] = {name: Outcome(error=text) for name, text in ERRORS.items()} | {
    "header_only": Outcome(loaded={ORDERS: []}),
    "extra_columns": Outcome(loaded={ORDERS: ["1", "2", "3"]}),
    "semicolon_and_decimal_comma_mapped": Outcome(
        loaded={ORDERS: ["1", "2"]},
        quarantined=[_invalid(ORDERS, 4, "order_total", "7.5", "numeric(18,2)")],
    ),
    "utf8_bom": Outcome(loaded={ORDERS: ["1", "2", "3"]}),
    "latin1_mapped": Outcome(loaded={CUSTOMERS: ["1", "2"]}),
    "mixed_date_formats": Outcome(
        loaded={ORDERS: ["1", "3"]},
        quarantined=[
            _invalid(ORDERS, 3, "ordered_at", "02/03/2024 10:00", "timestamp"),
            _invalid(ORDERS, 5, "ordered_at", "March 4 2024", "timestamp"),
        ],
    ),
    "mixed_date_formats_mapped": Outcome(loaded={ORDERS: ["1", "2", "3"]}),
    "unparseable_numbers": Outcome(
        loaded={ORDERS: ["4", "5"]},
        quarantined=[
            _invalid(ORDERS, 2, "order_total", "12,5x", "numeric(18,2)"),
            _invalid(ORDERS, 3, "order_total", "n/a", "numeric(18,2)"),
            _invalid(ORDERS, 4, "customer_id", "1o3", "bigint"),
        ],
    ),
    "negative_and_huge_amounts": Outcome(
        loaded={ORDERS: ["3", "4"]},
        quarantined=[_money(2, "-5.00"), _money(3, "5000000000.00", "above 1000000000")],
    ),
    "null_keys": Outcome(
        loaded={ORDERS: ["5"]},
        quarantined=[
            _missing(2, "order_id"),
            _missing(3, "customer_id"),
            _missing(4, "ordered_at"),
            _missing(5, "order_total"),
            _missing(7, "order_id"),
        ],
    ),
    "duplicate_keys": Outcome(
        loaded={ORDERS: ["1", "2", "3"]},
        quarantined=[
            (ORDERS, 4, 'column "order_id": duplicate key 1, same values as row 2 '
             "(the first row is kept)"),
            (ORDERS, 5, 'column "order_id": duplicate key 2, other values than row 3 '
             "(the first row is kept)"),
        ],
    ),
    "future_and_ancient_dates": Outcome(
        loaded={ORDERS: ["3"]},
        quarantined=[
            (ORDERS, 2, 'column "ordered_at": 2999-01-01 00:00:00 is in the future '
             "(after the load time + 24h)"),
            (ORDERS, 3, 'column "ordered_at": 1989-12-31 23:59:59 is before 1990-01-01'),
        ],
    ),
    "very_long_strings": Outcome(loaded={CUSTOMERS: ["1", "2"]}),
    "quotes_and_newlines": Outcome(
        loaded={CUSTOMERS: ["1", "2", "3", "5"]},
        # record 4 starts on line 8: records 2 and 3 span 3 and 2 lines
        quarantined=[_invalid(CUSTOMERS, 8, "customer_id", "x4", "bigint")],
    ),
    "jsonl_records": Outcome(
        loaded={ORDERS: ["1", "2"]},
        quarantined=[(ORDERS, 3, 'column "customer_id": required value is missing')],
    ),
    "orphan_order_items": Outcome(
        loaded={ORDERS: ["1", "2", "3"], ITEMS: ["11", "12"]},
        quarantined=[
            (ITEMS, 4, 'column "order_id": 9 has no row in commerce.orders '
             "(neither in this load nor loaded before)"),
            _invalid(ITEMS, 5, "quantity", "2.5", "integer"),
            (ITEMS, 6, 'column "quantity": -1 is negative (a count must be >= 0)'),
        ],
    ),
    "bad_booleans": Outcome(
        loaded={CUSTOMERS: ["1", "2", "4"]},
        quarantined=[_invalid(CUSTOMERS, 4, "accepts_marketing", "maybe", "boolean")],
    ),
    "time_zone_mapped": Outcome(loaded={ORDERS: ["1", "2"]}),
    "parquet_good_and_bad": Outcome(loaded={ORDERS: ["1", "2"]}, quarantined=[_money(3, "-1.00")]),
    "orders_only_mapped": Outcome(  # row 4 repeats row 2: a second order, its own key
        loaded={ORDERS: ["103637585060269668", "1139067264896862473", "479358455303931363"]},
        quarantined=[_money(5, "-5.00")],
    ),
}  # fmt: skip

#: Values that prove a case was read right, not just counted: (query, expected rows).
VALUES: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "latin1_mapped": (
        "select city from raw_commerce.customers order by 1", [("Berlin",), ("Zürich",)]
    ),
    "very_long_strings": (
        "select length(email), length(city) from raw_commerce.customers "
        "order by customer_id",
        [(100_005, 6), (6, 5_000)],
    ),
    "quotes_and_newlines": (
        "select city, first_name from raw_commerce.customers order by customer_id",
        [("Berlin, Mitte", 'Anna "Ann"'), ("line one\nline two\nline three", "Bob"),
         ("Paris", "Eve\r\nSecond"), ("Oslo", "Kim")],
    ),
    "semicolon_and_decimal_comma_mapped": (
        "select order_total from raw_commerce.orders order by order_id",
        [(Decimal("1234.50"),), (Decimal("7.50"),)],
    ),
    "time_zone_mapped": (  # Berlin summer time is UTC+2; an explicit offset wins
        "select cast(ordered_at as varchar) from raw_commerce.orders order by order_id",
        [("2024-07-01 10:00:00",), ("2024-01-15 12:00:00",)],
    ),
    "mixed_date_formats_mapped": (
        "select cast(ordered_at as varchar) from raw_commerce.orders order by order_id",
        [("2024-03-01 10:00:00",), ("2024-03-02 10:00:00",), ("2024-03-03 00:00:00",)],
    ),
    "extra_columns": ("select extra_columns from raw_meta.load_audit", [("note, Coupon",)]),
    "orders_only_mapped": (
        "select customer_id, currency, status, order_total from raw_commerce.orders order by 1",
        [(13047, "GBP", "completed", Decimal("22.00")),
         (17850, "GBP", "completed", Decimal("139.12")),
         (17850, "GBP", "completed", Decimal("139.12"))],
    ),
}  # fmt: skip


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    if settings.target == "duckdb":
        import duckdb

        with duckdb.connect(str(settings.duckdb_path)) as connection:
            return connection.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(settings.pg_conninfo()) as connection:
        return connection.execute(sql.encode()).fetchall()


def test_the_corpus_has_a_fixture_and_an_outcome_for_every_case():
    cases = {path.name for path in CASES.iterdir() if path.is_dir()}
    assert cases == set(OUTCOMES)
    assert len(cases) >= 25


@pytest.mark.parametrize("case", sorted(OUTCOMES))
def test_corpus_case(case: str, warehouse_settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CIW_MAX_BAD_SHARE", raising=False)
    outcome = OUTCOMES[case]
    mapping_file = CASES / case / "mapping.yml"
    mapping = load_mapping(mapping_file) if mapping_file.exists() else None
    if outcome.error is not None:
        with pytest.raises(LoadError) as caught:
            load_directory(CASES / case / "exports", warehouse_settings, mapping=mapping)
        assert str(caught.value) == outcome.error
        assert query(warehouse_settings, "select count(*) from raw_meta.load_audit") == [(0,)]
        assert query(warehouse_settings, "select count(*) from raw_commerce.orders") == [(0,)]
        return
    report = load_directory(CASES / case / "exports", warehouse_settings, mapping=mapping)

    quarantined = query(
        warehouse_settings,
        "select table_key, source_row, reason from raw_meta.quarantine order by 1, 2",
    )
    assert sorted(quarantined) == sorted(outcome.quarantined)
    for table, keys in outcome.loaded.items():
        schema, name = table.split(".")
        found = query(
            warehouse_settings, f"select cast({KEYS[table]} as varchar) from raw_{schema}.{name}"
        )
        assert sorted(key for (key,) in found) == sorted(keys), table
    audit = query(
        warehouse_settings,
        "select rows_read, rows_loaded, rows_quarantined, rows_unchanged from raw_meta.load_audit",
    )
    assert len(audit) == len(report.files)
    assert all(read == loaded + bad + same for read, loaded, bad, same in audit)
    assert report.rows_loaded == sum(len(keys) for keys in outcome.loaded.values())
    if case in VALUES:
        sql, expected = VALUES[case]
        assert query(warehouse_settings, sql) == expected
