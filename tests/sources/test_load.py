"""The raw loader on DuckDB: idempotent batches, the audit, the raw tables, progress, discovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sources.contract import raw_tables
from sources.load import LoadError, discover_exports, ensure_raw_tables, load_directory
from tests.corpus.test_corpus import query as rows
from tests.sources.load_exports import ORDERS_HEADER, write, write_parquet
from warehouse.settings import Settings


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
