"""The raw loader on the real PostgreSQL: COPY path, types, quarantine, idempotency, audit."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.contract import raw_tables
from sources.load import LoadError, load_directory
from warehouse.settings import Settings

pytestmark = pytest.mark.postgres

ORDERS_CSV = (
    "order_id,customer_id,ordered_at,channel,order_total,currency,note\n"
    "1,10,2025-01-02 10:00:00,web,12.50,EUR,a\n"
    '2,10,2025-01-02,"pos, ""main""","12,5x",EUR,b\n'
    "3,,2025-01-03,web,4,,c\n"
    "4,11,2025-01-04T08:00:00+01:00,app,7,,\n"
)


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.pg_conninfo()) as connection:
        return connection.execute(sql.encode()).fetchall()


@pytest.fixture(autouse=True)
def _no_bad_share_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """These small files are mostly bad on purpose; the limit has its own tests."""
    monkeypatch.setenv("CIW_MAX_BAD_SHARE", "1")


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    directory = tmp_path / "exports"
    (directory / "commerce").mkdir(parents=True)
    (directory / "commerce" / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    (directory / "crm").mkdir()
    pq.write_table(
        pa.table(
            {
                "user_id": ["u1", "u2", "u3"],
                "is_active": ["yes", "f", "perhaps"],
                "created_at": pa.array(
                    [datetime(2024, 1, 1), None, datetime(2024, 3, 1)], pa.timestamp("us")
                ),
            }
        ),
        directory / "crm" / "users.parquet",
    )
    return directory


def test_load_on_postgres_types_quarantines_and_balances(
    exports: Path, postgres_settings: Settings
):
    report = load_directory(exports, postgres_settings)

    assert [
        (f.table_key, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files
    ] == [
        ("commerce.orders", 4, 2, 2),
        ("crm.users", 3, 2, 1),
    ]
    assert report.files[0].extra_columns == ("note",)
    assert query(
        postgres_settings,
        "select order_id, customer_id, ordered_at, channel, order_total, currency, _source_row, "
        "_source_file from raw_commerce.orders order by order_id",
    ) == [
        (1, 10, datetime(2025, 1, 2, 10), "web", Decimal("12.50"), "EUR", 2, "commerce/orders.csv"),
        (4, 11, datetime(2025, 1, 4, 7), "app", Decimal("7.00"), None, 5, "commerce/orders.csv"),
    ]  # fmt: skip
    assert query(
        postgres_settings, "select user_id, is_active, created_at from raw_crm.users order by 1"
    ) == [("u1", True, datetime(2024, 1, 1)), ("u2", False, None)]

    quarantined = query(
        postgres_settings,
        "select table_key, source_file, source_row, column_name, reason, raw_record "
        "from raw_meta.quarantine order by table_key, source_row",
    )
    assert [row[:5] for row in quarantined] == [
        ("commerce.orders", "commerce/orders.csv", 3, "order_total",
         'column "order_total": "12,5x" is not a valid numeric(18,2)'),
        ("commerce.orders", "commerce/orders.csv", 4, "customer_id",
         'column "customer_id": required value is missing'),
        ("crm.users", "crm/users.parquet", 3, "is_active",
         'column "is_active": "perhaps" is not a valid boolean'),
    ]  # fmt: skip
    assert json.loads(quarantined[0][5])["channel"] == 'pos, "main"'

    audit = query(
        postgres_settings,
        "select table_key, rows_read, rows_loaded, rows_quarantined, "
        "rows_read = rows_loaded + rows_quarantined from raw_meta.load_audit order by 1",
    )
    assert audit == [("commerce.orders", 4, 2, 2, True), ("crm.users", 3, 2, 1, True)]


def test_postgres_raw_columns_are_really_typed(exports: Path, postgres_settings: Settings):
    load_directory(exports, postgres_settings)

    types = dict(
        query(
            postgres_settings,
            "select column_name, data_type || coalesce('(' || numeric_precision || ',' "
            "|| numeric_scale || ')', '') from information_schema.columns "
            "where table_schema = 'raw_commerce' and table_name = 'orders'",
        )
    )
    assert types["order_id"] == "bigint(64,0)"
    assert types["order_total"] == "numeric(18,2)"
    assert types["ordered_at"] == "timestamp without time zone"
    assert types["channel"] == "character varying"
    assert types["_source_row"] == "bigint(64,0)"
    present = {
        f"{schema}.{name}"
        for schema, name in query(
            postgres_settings,
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%'",
        )
    }
    # every source is optional: absent sources still get their (empty) raw tables
    assert {table.relation for table in raw_tables().values()} <= present
    assert query(postgres_settings, "select count(*) from raw_support.tickets") == [(0,)]


def test_postgres_load_is_idempotent(exports: Path, postgres_settings: Settings):
    snapshot_sql = (
        "select (select json_agg(o order by _source_row)::text from (select order_id, "
        "order_total, _batch_id, _source_file, _source_row from raw_commerce.orders) o), "
        "(select count(*) from raw_meta.quarantine), (select count(*) from raw_meta.load_audit)"
    )
    first = load_directory(exports, postgres_settings)
    before = query(postgres_settings, snapshot_sql)
    second = load_directory(exports, postgres_settings)

    assert query(postgres_settings, snapshot_sql) == before
    assert before[0][1:] == (3, 2)
    assert first.files == second.files


def test_postgres_missing_required_column_is_a_load_error(
    tmp_path: Path, postgres_settings: Settings
):
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "payments.csv").write_text("payment_id,amount\np1,3\n")

    with pytest.raises(
        LoadError, match=r"billing/payments\.csv: line 1: required column 'invoice_id'"
    ):
        load_directory(tmp_path, postgres_settings)


def test_postgres_load_refreshes_planner_statistics(exports: Path, postgres_settings: Settings):
    load_directory(exports, postgres_settings)

    analyzed = dict(
        query(
            postgres_settings,
            "select schemaname || '.' || relname, last_analyze is not null "
            "from pg_stat_user_tables where schemaname in ('raw_commerce', 'raw_billing')",
        )
    )
    assert analyzed["raw_commerce.orders"] is True  # rows loaded: statistics refreshed
    assert analyzed["raw_billing.invoices"] is False  # nothing loaded there
