"""Writes the bad-input corpus under ``tests/corpus/cases/`` (run once; the files are committed).

Each case is a directory holding an export directory ``exports/`` and, when the case needs
one, a ``mapping.yml``. The expected outcome of every case is in ``test_corpus.py``.
Run: ``.venv/bin/python -m tests.corpus.build_fixtures``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CASES = Path(__file__).parent / "cases"
ORDERS = "order_id,customer_id,ordered_at,order_total"
GOOD = [f"{n},{100 + n},2024-03-0{n} 10:00:00,{n}0.50" for n in range(1, 4)]

TEXT: dict[str, dict[str, str | bytes]] = {
    "empty_file": {"commerce/orders.csv": ""},
    "header_only": {"commerce/orders.csv": ORDERS + "\n"},
    "missing_required_column": {
        "commerce/orders.csv": "order_id,customer_id,ordered_at\n1,101,2024-03-01\n"
    },
    "extra_columns": {
        "commerce/orders.csv": ORDERS
        + ",note,Coupon\n"
        + "\n".join(line + ",hi,X" for line in GOOD)
        + "\n"
    },
    "wrong_delimiter": {
        "commerce/orders.csv": ORDERS.replace(",", ";") + "\n1;101;2024-03-01;10,50\n"
    },
    "semicolon_and_decimal_comma_mapped": {
        "commerce/orders.csv": ORDERS.replace(",", ";")
        + "\n1;101;2024-03-01 10:00;1.234,50\n2;102;2024-03-02 10:00;7,5\n"
        "3;103;2024-03-03 10:00;7.5\n"
    },
    "utf8_bom": {
        "commerce/orders.csv": "\ufeff" + ORDERS + "\n" + "\n".join(GOOD) + "\n",
    },
    "latin1_bytes": {
        "commerce/customers.csv": "customer_id,city\n1,Berlin\n2,Z\xfcrich\n".encode("latin-1")
    },
    "latin1_mapped": {
        "commerce/customers.csv": "customer_id,city\n1,Berlin\n2,Z\xfcrich\n".encode("latin-1")
    },
    "mixed_date_formats": {
        "commerce/orders.csv": ORDERS + "\n1,101,2024-03-01 10:00:00,1\n2,102,02/03/2024 10:00,2\n"
        "3,103,2024-03-03,3\n4,104,March 4 2024,4\n"
    },
    "mixed_date_formats_mapped": {
        "commerce/orders.csv": ORDERS + "\n1,101,2024-03-01 10:00:00,1\n2,102,02/03/2024 10:00,2\n"
        "3,103,2024-03-03,3\n"
    },
    "unparseable_numbers": {
        "commerce/orders.csv": ORDERS
        + "\n1,101,2024-03-01,12,5x\n".replace("12,5x", '"12,5x"')
        + "2,102,2024-03-02,n/a\n3,1o3,2024-03-03,3\n4,104,2024-03-04,4.25\n5,105,2024-03-05,1e3\n"
    },
    "negative_and_huge_amounts": {
        "commerce/orders.csv": ORDERS + "\n1,101,2024-03-01,-5.00\n2,102,2024-03-02,5000000000\n"
        "3,103,2024-03-03,0\n4,104,2024-03-04,999999.99\n"
    },
    "null_keys": {
        "commerce/orders.csv": ORDERS + "\n,101,2024-03-01,1\n2,,2024-03-02,2\n3,103,,3\n"
        "4,104,2024-03-04,\n5,105,2024-03-05,5\n  ,106,2024-03-06,6\n"
    },
    "duplicate_keys": {
        "commerce/orders.csv": ORDERS + "\n1,101,2024-03-01,1\n2,102,2024-03-02,2\n"
        "1,101,2024-03-01,1\n2,102,2024-03-02,99\n3,103,2024-03-03,3\n"
    },
    "future_and_ancient_dates": {
        "commerce/orders.csv": ORDERS + "\n1,101,2999-01-01,1\n2,102,1989-12-31 23:59:59,2\n"
        "3,103,2024-03-03,3\n"
    },
    "very_long_strings": {
        "commerce/customers.csv": "customer_id,email,city\n1,"
        + "a" * 100_000
        + "@x.io,Berlin\n2,b@x.io,"
        + "Ü" * 5_000
        + "\n"
    },
    "quotes_and_newlines": {
        "commerce/customers.csv": 'customer_id,city,first_name\n1,"Berlin, Mitte","Anna ""Ann"""\n'
        '2,"line one\nline two\nline three",Bob\n3,Paris,"Eve\r\nSecond"\nx4,Rome,Dan\n5,Oslo,Kim\n'
    },
    "unterminated_quote": {"commerce/customers.csv": 'customer_id,city\n1,Berlin\n2,"Paris\n'},
    "ragged_rows": {"commerce/customers.csv": "customer_id,city\n1,Berlin\n2,Paris,extra\n"},
    "csv_named_parquet": {"commerce/orders.parquet": ORDERS + "\n" + "\n".join(GOOD) + "\n"},
    "gzip_named_csv": {
        "commerce/orders.csv": gzip.compress((ORDERS + "\n" + GOOD[0] + "\n").encode())
    },
    "jsonl_records": {
        "commerce/orders.jsonl": '{"order_id": 1, "customer_id": 101, "ordered_at": '
        '"2024-03-01T10:00:00Z", "order_total": 10.5, "meta": {"a": 1}}\n'
        '{"order_id": "2", "customer_id": 102, "ordered_at": "2024-03-02", "order_total": "7"}\n'
        '{"order_id": 3, "customer_id": null, "ordered_at": "2024-03-03", "order_total": 3}\n'
    },
    "jsonl_malformed": {
        "commerce/orders.jsonl": '{"order_id": 1, "customer_id": 101}\n'
        '{"order_id": 2, "customer_id": 102}\n{"order_id": 3, "customer_id"\n'
    },
    "jsonl_not_objects": {"commerce/orders.jsonl": '{"order_id": 1}\n[1, 2, 3]\n'},
    "orphan_order_items": {
        "commerce/orders.csv": ORDERS + "\n" + "\n".join(GOOD) + "\n",
        "commerce/order_items.csv": "order_item_id,order_id,quantity,unit_price\n"
        "11,1,1,10.50\n12,2,2,5\n13,9,1,3\n14,3,2.5,1\n15,3,-1,1\n",
    },
    "too_many_bad_rows": {
        "commerce/orders.csv": ORDERS
        + "\n"
        + "\n".join(f"{n},{n},2024-03-01,{'bad' if n <= 12 else n}" for n in range(1, 41))
        + "\n"
    },
    "bad_booleans": {
        "commerce/customers.csv": "customer_id,accepts_marketing\n1,yes\n2,N\n3,maybe\n4,\n"
    },
    "time_zone_mapped": {
        "commerce/orders.csv": ORDERS
        + "\n1,101,2024-07-01 12:00,1\n2,102,2024-01-15T12:00:00+00:00,2\n"
    },
    "orders_only_mapped": {
        "commerce/orders.csv": "CustomerID;InvoiceDate;Amount\n17850;01/12/2024 08:26;139,12\n"
        "13047;01/12/2024 08:34;22,00\n17850;01/12/2024 08:26;139,12\n"
        "12583;02/12/2024 10:00;-5,00\n"
    },
}

MAPPINGS = {
    "semicolon_and_decimal_comma_mapped": 'files:\n  - {pattern: "commerce/orders.csv", '
    'table: commerce.orders, delimiter: ";", decimal_separator: ","}\n',
    "latin1_mapped": 'files:\n  - {pattern: "commerce/*.csv", table: commerce.customers, '
    "encoding: latin-1}\n",
    "mixed_date_formats_mapped": 'files:\n  - pattern: "commerce/orders.csv"\n'
    "    table: commerce.orders\n"
    '    date_format: ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d"]\n',
    "time_zone_mapped": "defaults: {timezone: Europe/Berlin}\nfiles:\n"
    '  - {pattern: "commerce/orders.csv", table: commerce.orders}\n',
}


def _parquet_cases() -> None:
    good = pa.table(
        {
            "order_id": pa.array([1, 2, 3], pa.int64()),
            "customer_id": pa.array([101, 102, 103], pa.int64()),
            "ordered_at": pa.array([dt.datetime(2024, 3, n, 10) for n in (1, 2, 3)]),
            "order_total": pa.array([10.5, 20.5, -1.0]),
        }
    )
    for name, table in {
        "parquet_good_and_bad": good,
        "parquet_wrong_schema": good.set_column(
            0, "order_id", pa.array([dt.datetime(2024, 1, 1)] * 3)
        ),
    }.items():
        target = CASES / name / "exports" / "commerce" / "orders.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
    truncated = CASES / "parquet_truncated" / "exports" / "commerce" / "orders.parquet"
    truncated.parent.mkdir(parents=True, exist_ok=True)
    whole = (
        CASES / "parquet_good_and_bad" / "exports" / "commerce" / "orders.parquet"
    ).read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    named_csv = CASES / "parquet_named_csv" / "exports" / "commerce" / "orders.csv"
    named_csv.parent.mkdir(parents=True, exist_ok=True)
    named_csv.write_bytes(whole)


def main() -> None:
    shutil.rmtree(CASES, ignore_errors=True)
    for case, files in TEXT.items():
        for relative, content in files.items():
            target = CASES / case / "exports" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        if case in MAPPINGS:
            (CASES / case / "mapping.yml").write_text(MAPPINGS[case], encoding="utf-8")
    shutil.copy(
        Path(__file__).parents[2] / "examples" / "mappings" / "orders_only.yml",
        CASES / "orders_only_mapped" / "mapping.yml",
    )
    _parquet_cases()


if __name__ == "__main__":
    main()
