"""The raw loader on DuckDB: types, quarantine, idempotency, audit, discovery."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.contract import raw_tables
from sources.load import LoadError, discover_exports, ensure_raw_tables, load_directory
from warehouse.settings import Settings

ORDERS_HEADER = "order_id,customer_id,ordered_at,channel,subtotal,order_total,currency"


def write(directory: Path, relative: str, text: str) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_parquet(directory: Path, relative: str, columns: dict[str, Any]) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def rows(settings: Settings, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture(autouse=True)
def _no_bad_share_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """These small files are mostly bad on purpose; the limit has its own tests."""
    monkeypatch.setenv("CIW_MAX_BAD_SHARE", "1")


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    return tmp_path / "exports"


def test_csv_values_are_cast_to_their_contract_types(exports: Path, duckdb_settings: Settings):
    write(
        exports,
        "commerce/orders.csv",
        f"{ORDERS_HEADER}\n"
        "1,10,2025-01-02 10:00:00,web,12.5,13.75,EUR\n"
        "2,11,2025-01-03T11:30:00+02:00,, 7 ,8,\n",
    )
    write(
        exports,
        "commerce/customers.csv",
        "customer_id,email,accepts_marketing,created_at\n"
        "1,a@x.io,yes,2025-01-01\n2,,No,\n3,c@x.io,T,\n4,d@x.io,0,\n5,e@x.io,,\n",
    )
    report = load_directory(exports, duckdb_settings)

    assert report.rows_read == 7 and report.rows_loaded == 7 and report.rows_quarantined == 0
    assert report.tables == ("commerce.customers", "commerce.orders")
    orders = rows(
        duckdb_settings,
        "select order_id, customer_id, ordered_at, channel, subtotal, order_total, currency, "
        "_source_row, _source_file from raw_commerce.orders order by order_id",
    )
    assert orders == [
        (1, 10, datetime(2025, 1, 2, 10), "web", Decimal("12.50"), Decimal("13.75"), "EUR", 2,
         "commerce/orders.csv"),
        # the +02:00 offset is converted to UTC; empty strings become null
        (2, 11, datetime(2025, 1, 3, 9, 30), None, Decimal("7.00"), Decimal("8.00"), None, 3,
         "commerce/orders.csv"),
    ]  # fmt: skip
    customers = rows(
        duckdb_settings,
        "select customer_id, email, accepts_marketing, created_at "
        "from raw_commerce.customers order by 1",
    )
    assert customers == [
        (1, "a@x.io", True, datetime(2025, 1, 1)),
        (2, None, False, None),
        (3, "c@x.io", True, None),
        (4, "d@x.io", False, None),
        (5, "e@x.io", None, None),
    ]
    types = dict(
        rows(
            duckdb_settings,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_commerce' and table_name = 'orders'",
        )
    )
    assert types["order_id"] == "BIGINT"
    assert types["order_total"] == "DECIMAL(18,2)"
    assert types["_loaded_at"] == "TIMESTAMP"


def test_parquet_loads_with_one_based_row_numbers(exports: Path, duckdb_settings: Settings):
    write_parquet(
        exports,
        "crm/opportunities.parquet",
        {
            "opportunity_id": ["o1", "o2", "o3"],
            "amount": [1000.456, None, 3.0],
            "probability": pa.array([10, 50, None], pa.int64()),
            "created_at": pa.array(
                [datetime(2025, 1, 1), datetime(2025, 2, 1), datetime(2025, 3, 1, 8)],
                pa.timestamp("us"),
            ),
            "close_date": ["2025-04-01", "", None],
        },
    )
    report = load_directory(exports, duckdb_settings)

    assert [(f.table_key, f.rows_loaded) for f in report.files] == [("crm.opportunities", 3)]
    assert rows(
        duckdb_settings,
        "select opportunity_id, amount, probability, created_at, close_date, _source_row "
        "from raw_crm.opportunities order by _source_row",
    ) == [
        ("o1", Decimal("1000.46"), 10, datetime(2025, 1, 1), date(2025, 4, 1), 1),
        ("o2", None, 50, datetime(2025, 2, 1), None, 2),
        ("o3", Decimal("3.00"), None, datetime(2025, 3, 1, 8), None, 3),
    ]


def test_bad_values_go_to_quarantine_and_good_rows_still_load(
    exports: Path, duckdb_settings: Settings
):
    write(
        exports,
        "commerce/orders.csv",
        f"{ORDERS_HEADER}\n"
        "1,10,2025-01-02,web,1,12.50,EUR\n"
        '2,10,2025-01-02,web,1,"12,5x",EUR\n'
        "3,,2025-01-02,web,1,4,EUR\n"
        "4.5,10,not a date,web,1,4,EUR\n"
        "5,10,2025-01-02,web,1,5,EUR\n",
    )
    report = load_directory(exports, duckdb_settings)

    (file,) = report.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (5, 2, 3)
    assert rows(duckdb_settings, "select order_id from raw_commerce.orders order by 1") == [
        (1,),
        (5,),
    ]
    quarantined = rows(
        duckdb_settings,
        "select _batch_id, table_key, source_file, source_row, column_name, reason, raw_record "
        "from raw_meta.quarantine order by source_row",
    )
    assert [row[:6] for row in quarantined] == [
        (file.batch_id, "commerce.orders", "commerce/orders.csv", 3, "order_total",
         'column "order_total": "12,5x" is not a valid numeric(18,2)'),
        (file.batch_id, "commerce.orders", "commerce/orders.csv", 4, "customer_id",
         'column "customer_id": required value is missing'),
        (file.batch_id, "commerce.orders", "commerce/orders.csv", 5, "order_id, ordered_at",
         'column "order_id": "4.5" is not a valid bigint; '
         'column "ordered_at": "not a date" is not a valid timestamp'),
    ]  # fmt: skip
    assert json.loads(quarantined[0][6]) == {
        "order_id": "2",
        "customer_id": "10",
        "ordered_at": "2025-01-02",
        "channel": "web",
        "subtotal": "1",
        "order_total": "12,5x",
        "currency": "EUR",
    }


def test_a_bad_boolean_and_a_blank_required_value_are_quarantined(
    exports: Path, duckdb_settings: Settings
):
    write(
        exports,
        "commerce/customers.csv",
        "customer_id,accepts_marketing\n1,maybe\n   ,yes\n3,no\n",
    )
    report = load_directory(exports, duckdb_settings)

    assert report.rows_loaded == 1 and report.rows_quarantined == 2
    assert rows(
        duckdb_settings, "select source_row, reason from raw_meta.quarantine order by 1"
    ) == [
        (2, 'column "accepts_marketing": "maybe" is not a valid boolean'),
        (3, 'column "customer_id": required value is missing'),
    ]


def test_missing_required_column_fails_the_file_before_anything_loads(
    exports: Path, duckdb_settings: Settings
):
    write(exports, "commerce/customers.csv", "customer_id,email\n1,a@x.io\n")
    write(exports, "commerce/orders.csv", "order_id,customer_id,ordered_at\n1,2,2025-01-01\n")

    with pytest.raises(LoadError) as caught:
        load_directory(exports, duckdb_settings)

    message = str(caught.value)
    assert "commerce/orders.csv" in message and "'order_total'" in message
    assert "\n" not in message
    # every file is checked before any is written: customers.csv loaded nothing either
    assert rows(duckdb_settings, "select count(*) from raw_commerce.customers") == [(0,)]
    assert rows(duckdb_settings, "select count(*) from raw_meta.load_audit") == [(0,)]


def test_missing_optional_column_loads_as_null(exports: Path, duckdb_settings: Settings):
    write(exports, "support/tickets.csv", "ticket_id,created_at\n7,2025-05-05 05:05:05\n")
    load_directory(exports, duckdb_settings)

    assert rows(
        duckdb_settings,
        "select ticket_id, priority, is_escalated, csat_score from raw_support.tickets",
    ) == [(7, None, None, None)]


def test_extra_columns_are_ignored_and_reported(exports: Path, duckdb_settings: Settings):
    write(
        exports,
        "support/tickets.csv",
        "Ticket_ID,created_at,internal_note,legacy_flag\n7,2025-05-05,hello,1\n",
    )
    report = load_directory(exports, duckdb_settings)

    assert report.files[0].extra_columns == ("internal_note", "legacy_flag")
    assert rows(duckdb_settings, "select ticket_id from raw_support.tickets") == [(7,)]
    assert rows(duckdb_settings, "select extra_columns from raw_meta.load_audit") == [
        ("internal_note, legacy_flag",)
    ]
    columns = {
        name
        for (name,) in rows(
            duckdb_settings,
            "select column_name from information_schema.columns "
            "where table_schema = 'raw_support' and table_name = 'tickets'",
        )
    }
    assert "internal_note" not in columns


def _snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "orders": rows(
            settings,
            "select * exclude (_loaded_at) from raw_commerce.orders order by _source_row",
        ),
        "quarantine": rows(
            settings,
            "select * exclude (quarantined_at) from raw_meta.quarantine order by source_row",
        ),
        "audit": rows(
            settings,
            "select _batch_id, table_key, source_file, rows_read, rows_loaded, rows_quarantined "
            "from raw_meta.load_audit",
        ),
    }


def test_loading_the_same_file_twice_leaves_the_same_rows(exports: Path, duckdb_settings: Settings):
    write(
        exports,
        "commerce/orders.csv",
        f"{ORDERS_HEADER}\n1,10,2025-01-02,web,1,2,EUR\n2,10,2025-01-02,web,1,oops,EUR\n",
    )
    first = load_directory(exports, duckdb_settings)
    before = _snapshot(duckdb_settings)
    second = load_directory(exports, duckdb_settings)

    assert _snapshot(duckdb_settings) == before
    assert len(before["orders"]) == 1 and len(before["quarantine"]) == 1
    assert len(before["audit"]) == 1
    assert first.files == second.files


def test_changed_content_is_a_new_batch(exports: Path, duckdb_settings: Settings):
    path = write(exports, "commerce/orders.csv", f"{ORDERS_HEADER}\n1,10,2025-01-02,web,1,2,EUR\n")
    first = load_directory(exports, duckdb_settings)
    path.write_text(f"{ORDERS_HEADER}\n2,10,2025-01-02,web,1,2,EUR\n", encoding="utf-8")
    second = load_directory(exports, duckdb_settings)

    assert first.files[0].batch_id != second.files[0].batch_id
    assert rows(duckdb_settings, "select order_id from raw_commerce.orders order by 1") == [
        (1,),
        (2,),
    ]


def test_audit_balances_and_matches_the_tables(exports: Path, duckdb_settings: Settings):
    write(
        exports,
        "commerce/orders_2025-01.csv",
        f"{ORDERS_HEADER}\n1,10,2025-01-02,web,1,2,EUR\n2,,2025-01-02,web,1,2,EUR\n",
    )
    write_parquet(
        exports,
        "commerce/orders_2025-02.parquet",
        {
            "order_id": [3, 4, 5],
            "customer_id": [1, 2, 3],
            "ordered_at": ["2025-02-01", "2025-02-02", "x"],
            "order_total": [1.0, 2.0, 3.0],
        },
    )
    report = load_directory(exports, duckdb_settings)

    assert [f.source_file for f in report.files] == [
        "commerce/orders_2025-01.csv",
        "commerce/orders_2025-02.parquet",
    ]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 3, 2)
    audit = rows(
        duckdb_settings,
        "select source_file, rows_read, rows_loaded, rows_quarantined, started_at <= finished_at "
        "from raw_meta.load_audit order by source_file",
    )
    assert audit == [
        ("commerce/orders_2025-01.csv", 2, 1, 1, True),
        ("commerce/orders_2025-02.parquet", 3, 2, 1, True),
    ]
    per_batch = rows(
        duckdb_settings,
        "select a.source_file, a.rows_loaded = (select count(*) from raw_commerce.orders o "
        "where o._batch_id = a._batch_id), a.rows_quarantined = (select count(*) from "
        "raw_meta.quarantine q where q._batch_id = a._batch_id) from raw_meta.load_audit a",
    )
    assert all(loaded and quarantined for _, loaded, quarantined in per_batch)
    assert rows(duckdb_settings, "select order_id from raw_commerce.orders order by 1") == [
        (1,),
        (3,),
        (4,),
    ]


def test_ensure_raw_tables_creates_every_contract_table_empty(duckdb_settings: Settings):
    ensure_raw_tables(duckdb_settings)
    ensure_raw_tables(duckdb_settings)  # a second run is harmless

    present = {
        f"{schema}.{name}"
        for schema, name in rows(
            duckdb_settings, "select table_schema, table_name from information_schema.tables"
        )
    }
    expected = {table.relation for table in raw_tables().values()}
    assert expected | {"raw_meta.quarantine", "raw_meta.load_audit"} <= present
    assert rows(duckdb_settings, "select count(*) from raw_billing.invoices") == [(0,)]


def test_load_creates_tables_for_absent_sources(exports: Path, duckdb_settings: Settings):
    write(exports, "support/tickets.csv", "ticket_id,created_at\n7,2025-05-05\n")
    load_directory(exports, duckdb_settings)

    assert rows(duckdb_settings, "select count(*) from raw_crm.accounts") == [(0,)]


def test_progress_reports_each_file_then_done(exports: Path, duckdb_settings: Settings):
    write(exports, "support/tickets.csv", "ticket_id,created_at\n7,2025-05-05\n")
    write(exports, "crm/users.csv", "user_id\nu1\n")
    calls: list[tuple[str, int, int]] = []
    load_directory(exports, duckdb_settings, progress=lambda *args: calls.append(args))

    assert calls == [
        ("checking crm/users.csv", 0, 4),
        ("checking support/tickets.csv", 1, 4),
        ("crm.users <- crm/users.csv", 2, 4),
        ("support.tickets <- support/tickets.csv", 3, 4),
        ("done", 4, 4),
    ]


def test_discover_matches_tables_by_name_prefix(exports: Path):
    write(exports, "commerce/orders_2025-01.csv", "x\n")
    write(exports, "commerce/order_items.parquet", "x")
    write(exports, "commerce/ORDERS.CSV", "x\n")
    write(exports, "commerce/notes.txt", "x")
    write(exports, "commerce/wishlists.csv", "x\n")
    write(exports, "erp/orders.csv", "x\n")

    found = [(export.table.key, export.path.name) for export in discover_exports(exports)]

    assert found == [
        ("commerce.orders", "ORDERS.CSV"),
        ("commerce.orders", "orders_2025-01.csv"),
        ("commerce.order_items", "order_items.parquet"),
    ]


def test_discover_rejects_missing_or_empty_directories(tmp_path: Path):
    with pytest.raises(LoadError, match="does not exist"):
        discover_exports(tmp_path / "nope")
    write(tmp_path, "empty/readme.txt", "nothing here")
    with pytest.raises(LoadError, match="no export files found"):
        discover_exports(tmp_path / "empty")


def test_unreadable_csv_is_a_one_line_load_error(exports: Path, duckdb_settings: Settings):
    write(exports, "crm/users.csv", "")
    with pytest.raises(LoadError, match=r"crm/users\.csv: the file is empty"):
        load_directory(exports, duckdb_settings)


def test_sources_limits_the_load_to_those_source_systems(exports: Path, duckdb_settings: Settings):
    write(
        exports,
        "commerce/orders.csv",
        "order_id,customer_id,ordered_at,order_total\n1,7,2025-01-02,5\n",
    )
    write(exports, "crm/users.csv", "user_id\nu1\n")

    report = load_directory(exports, duckdb_settings, sources=["crm"])

    assert [(f.table_key, f.source_file) for f in report.files] == [("crm.users", "crm/users.csv")]
    assert rows(duckdb_settings, "select count(*) from raw_commerce.orders") == [(0,)]
