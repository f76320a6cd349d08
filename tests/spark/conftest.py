"""One build per test session on both warehouses from the same exports (tests/spark/warehouses.py),
read once into frames for the Spark tests."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.spark.warehouses import (
    LAYER_MODELS,
    SEEDS,
    SNAPSHOTS,
    build,
    java_or_skip,
    with_snapshot_currency,
)
from warehouse.settings import Settings

#: Small on purpose: Spark's cost here is per statement, not per row.
CUSTOMERS = 120


@pytest.fixture(scope="session")
def both_warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same small exports loaded and built on DuckDB and on Spark; every seed, staging,
    intermediate, feature, mart and snapshot relation and the load's quarantine and audit, read
    from both. `seconds` holds the time each step took (printed with -s, kept in the report)."""
    java_or_skip()
    from sources.generate import GeneratorConfig, generate

    tmp = tmp_path_factory.mktemp("spark")
    exports = tmp / "exports"
    generate(exports, GeneratorConfig(customers=CUSTOMERS, seed=17, end_date=dt.date(2026, 9, 30)))
    duck = Settings(target="duckdb", duckdb_path=tmp / "duck.duckdb")
    spark = Settings(target="spark", spark_warehouse_dir=tmp / "spark" / "warehouse")
    # The two builds are independent: DuckDB's runs while Spark's waits on its session.
    with ThreadPoolExecutor(max_workers=2) as pool:
        builds = {each.target: pool.submit(build, each, exports, tmp) for each in (duck, spark)}
        outputs = {target: future.result() for target, future in builds.items()}

    from warehouse import read_frame
    from warehouse.spark import stop_spark_session

    staging = [
        row[0]
        for row in read_frame(
            duck,
            "select table_name from information_schema.tables where table_schema = 'staging'"
            " order by 1",
        ).itertuples(index=False)
    ]
    meta = {
        "quarantine": "select table_key, source_row, column_name, reason from raw_meta.quarantine",
        "audit": "select table_key, source_file, rows_read, rows_loaded, rows_quarantined,"
        " rows_unchanged from raw_meta.load_audit",
        "raw_orders": "select count(*) as n from raw_commerce.orders",
    }
    read: dict[str, Any] = {"tables": staging, "outputs": outputs, "duckdb": {}, "spark": {}}
    started = time.monotonic()
    try:
        for settings in (duck, spark):
            found = read[settings.target]
            for table in staging:
                found[table] = read_frame(settings, f"select * from staging.{table}")
            for seed in SEEDS:
                found[seed] = read_frame(settings, f"select * from seeds.{seed}")
            for relation in (*LAYER_MODELS, *SNAPSHOTS):
                frame = read_frame(settings, f"select * from {relation}")
                found[relation] = with_snapshot_currency(frame)
            for name, sql in meta.items():
                found[name] = read_frame(settings, sql)
    finally:
        stop_spark_session()
    read["seconds"] = {
        **{target: int(output["seconds"]) for target, output in outputs.items()},
        "read": int(time.monotonic() - started),
    }
    print(f"Spark tests' build and read times (s): {read['seconds']}")
    yield read
