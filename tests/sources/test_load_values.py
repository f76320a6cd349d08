"""Loading export values: casts to the contract types, row numbers, quarantine of bad values,
missing and extra columns."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from sources.load import LoadError, load_directory
from tests.corpus.test_corpus import query as rows
from tests.sources.load_exports import ORDERS_HEADER, write, write_parquet
from warehouse.settings import Settings


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
