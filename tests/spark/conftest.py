"""One build per test session on both warehouses from the same exports (tests/spark/warehouses.py):
`ciw run` of the whole pipeline on each, read once into frames for the Spark tests."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest

from tests.spark.warehouses import (
    END_DATE,
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
    """The same small exports loaded and run through the whole pipeline on DuckDB and on Spark;
    every seed, staging, intermediate, feature, mart and snapshot relation, the predictions,
    the load's quarantine and audit, read from both, and each run's asset check outcomes.
    `seconds` holds the time each step took (printed with -s, kept in the report)."""
    java_or_skip()
    from sources.generate import GeneratorConfig, generate

    tmp = tmp_path_factory.mktemp("spark")
    exports = tmp / "exports"
    generate(exports, GeneratorConfig(customers=CUSTOMERS, seed=17, end_date=END_DATE))
    duck = Settings(target="duckdb", duckdb_path=tmp / "duck.duckdb")
    spark = Settings(target="spark", spark_warehouse_dir=tmp / "spark" / "warehouse")
    # The two builds are independent: DuckDB's runs while Spark's waits on its session.
    with ThreadPoolExecutor(max_workers=2) as pool:
        builds = {each.target: pool.submit(build, each, exports, tmp) for each in (duck, spark)}
        outputs = {target: future.result() for target, future in builds.items()}

    from warehouse import read_frame
    from warehouse.spark import spark_session, stop_spark_session

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
    queries = {table: f"select * from staging.{table}" for table in staging}
    queries |= {seed: f"select * from seeds.{seed}" for seed in SEEDS}
    queries |= {relation: f"select * from {relation}" for relation in (*LAYER_MODELS, *SNAPSHOTS)}
    queries |= meta
    queries["ml.predictions"] = "select * from ml.predictions"
    read: dict[str, Any] = {
        "tables": staging,
        "outputs": outputs,
        "settings": {"duckdb": duck, "spark": spark},
        "checks": {target: check_outcomes(tmp / f"dagster_{target}") for target in outputs},
        "dbt_targets": {target: tmp / f"dbt_{target}" for target in outputs},
    }
    started = time.monotonic()
    try:
        read["duckdb"] = read_all(duck, queries, threads=1)
        # The test process's own session (made here, in this thread) loads one file again,
        # through the loader as `ciw load` does, and reads: Spark runs the statements of several
        # threads at once (each costs more in scheduling and metastore round trips than in
        # reading). It stays open for the tests that write scratch tables beside the build.
        spark_session(spark)
        read["load_again"] = load_again(spark, exports, tmp / "exports_again")
        read["spark"] = read_all(spark, queries, threads=4)
        read["seconds"] = {
            **{target: int(output["seconds"]) for target, output in outputs.items()},
            "load again and read": int(time.monotonic() - started),
        }
        print(f"Spark tests' build and read times (s): {read['seconds']}")
        yield read
    finally:
        stop_spark_session()


def check_outcomes(dagster_home: Path) -> dict[str, list[str]]:
    """The asset checks (dbt tests among them) of the last run in ``dagster_home``: the names
    of those that passed and of those that did not."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    run = instance.get_runs(limit=1)[0]
    outcomes: dict[str, list[str]] = {"passed": [], "failed": []}
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        event = record.dagster_event
        data = cast(Any, event.event_specific_data if event is not None else None)
        outcomes["passed" if data.passed else "failed"].append(data.check_name)
    return outcomes


def load_again(settings: Settings, exports: Path, again: Path) -> Any:
    """The orders file of ``exports`` loaded again on its own: the loader's report."""
    from sources.load import load_directory

    (again / "commerce").mkdir(parents=True, exist_ok=True)
    shutil.copy(exports / "commerce" / "orders.parquet", again / "commerce")
    return load_directory(again, settings)


def read_all(settings: Settings, queries: dict[str, str], threads: int) -> dict[str, Any]:
    """Each query's rows as a frame (a snapshot's with whether each version is current)."""
    from warehouse import read_frame

    with ThreadPoolExecutor(max_workers=threads) as pool:
        frames = {name: pool.submit(read_frame, settings, sql) for name, sql in queries.items()}
        return {name: with_snapshot_currency(frame.result()) for name, frame in frames.items()}
