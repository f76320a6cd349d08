"""The Spark target on a real local session: the loader writes the raw layer through Spark with
the same validation, quarantine and audit as DuckDB, and every staging model builds on Spark
with the same rows as on DuckDB from the same exports.

Each Spark step runs in a process of its own (``ciw load``, then dbt), as the embedded Derby
metastore admits one process at a time; the test process opens its own session last, to read.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

AS_OF = "2026-10-01"
#: Columns that say when a row was loaded: two loads differ in them by design.
LOAD_TIME_COLUMNS = {"_loaded_at", "loaded_at", "_dbt_loaded_at"}


def _java_or_skip() -> None:
    from warehouse.connections import WarehouseUnavailable
    from warehouse.spark import require_java

    try:
        require_java()
    except WarehouseUnavailable as missing:
        if os.environ.get("CIW_REQUIRE_SPARK") == "1":
            pytest.fail(f"Spark is required (CIW_REQUIRE_SPARK=1): {missing}")
        pytest.skip(str(missing))


def _env(settings: Settings, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CIW_TARGET": settings.target,
        "CIW_DUCKDB_PATH": str(settings.duckdb_path),
        "CIW_SPARK_WAREHOUSE": str(settings.spark_warehouse_dir),
        "CIW_ARTIFACTS_DIR": str(tmp / f"artifacts_{settings.target}"),
        "CIW_DBT_TARGET_PATH": str(tmp / f"dbt_{settings.target}"),
        "CIW_AS_OF_DATE": AS_OF,
    }


def _ciw(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ciw")), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"ciw {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


#: The project's seeds, one per CSV file.
SEEDS = tuple(sorted(path.stem for path in (DBT_PROJECT_DIR / "seeds").glob("*.csv")))


def _build_staging(env: dict[str, str], cwd: Path) -> str:
    """The seeds, the staging layer and their tests, through `ciw dbt` (the engineer's
    command)."""
    return _ciw(
        [
            "dbt",
            "build",
            "--select",
            "staging",
            "resource_type:seed",
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
        env,
        cwd,
    )


def _plain(value: Any) -> Any:
    """One spelling per value across engines: Decimal and float as rounded floats, timestamps
    as naive pandas Timestamps, every kind of missing value as None."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    if isinstance(value, dt.date | pd.Timestamp):  # DuckDB returns dates as timestamps
        stamp = pd.Timestamp(value)
        return stamp.tz_convert(None) if stamp.tzinfo else stamp
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    columns = sorted(column for column in frame.columns if column not in LOAD_TIME_COLUMNS)
    rows = [
        tuple(_plain(value) for value in row)
        for row in frame[columns].itertuples(index=False, name=None)
    ]
    return sorted(rows, key=lambda row: tuple((value is None, str(value)) for value in row))


@pytest.fixture(scope="module")
def both_warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same small exports loaded and staged on DuckDB and on Spark; every staging table
    and the load's quarantine and audit, read from both."""
    _java_or_skip()
    from sources.generate import GeneratorConfig, generate

    tmp = tmp_path_factory.mktemp("spark")
    exports = tmp / "exports"
    generate(exports, GeneratorConfig(customers=120, seed=17, end_date=dt.date(2026, 9, 30)))
    duck = Settings(target="duckdb", duckdb_path=tmp / "duck.duckdb")
    spark = Settings(target="spark", spark_warehouse_dir=tmp / "spark" / "warehouse")
    outputs: dict[str, str] = {}
    for settings in (duck, spark):
        env = _env(settings, tmp)
        outputs[settings.target] = _ciw(["load", str(exports)], env, tmp)
        if settings.target == "spark":  # loading the same files again changes nothing
            outputs["spark_again"] = _ciw(["load", str(exports)], env, tmp)
        outputs[f"dbt_{settings.target}"] = _build_staging(env, tmp)

    from warehouse import read_frame
    from warehouse.spark import stop_spark_session

    tables = [
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
    }
    read: dict[str, Any] = {"tables": tables, "outputs": outputs, "duckdb": {}, "spark": {}}
    try:
        for settings in (duck, spark):
            found = read[settings.target]
            for table in tables:
                found[table] = read_frame(settings, f"select * from staging.{table}")
            for seed in SEEDS:
                found[seed] = read_frame(settings, f"select * from seeds.{seed}")
            for name, sql in meta.items():
                found[name] = read_frame(settings, sql)
            found["raw_orders"] = read_frame(
                settings, "select count(*) as n from raw_commerce.orders"
            )
    finally:
        stop_spark_session()
    yield read


@pytest.mark.parametrize("seed", SEEDS)
def test_seeds_on_spark_equal_duckdb(both_warehouses: dict[str, Any], seed: str) -> None:
    """Empty cells are NULL on both (dbt-spark's own seed loader wrote the text 'None')."""
    duck = both_warehouses["duckdb"][seed]
    spark = both_warehouses["spark"][seed]
    assert list(spark.columns) == list(duck.columns)
    assert _rows(spark) == _rows(duck)
    if seed == "alert_types":
        assert duck["model_name"].isna().any() and "None" not in set(spark["model_name"])


def test_every_staging_model_builds_on_spark(both_warehouses: dict[str, Any]) -> None:
    tables = both_warehouses["tables"]
    assert len(tables) >= 22
    assert set(tables) <= set(both_warehouses["spark"])
    # Built and tested through `ciw dbt`, which says where it ran and what passed.
    built = both_warehouses["outputs"]["dbt_spark"]
    assert " ERROR=0 " in built and " PASS=" in built
    assert f"{len(tables)} table models" in built


@pytest.mark.parametrize(
    "table",
    [
        "stg_commerce__orders",
        "stg_commerce__order_items",
        "stg_commerce__customers",
        "stg_commerce__web_events",
        "stg_commerce__web_sessions",
        "stg_commerce__cart_events",
        "stg_commerce__returns",
        "stg_crm__accounts",
        "stg_crm__contacts",
        "stg_crm__leads",
        "stg_crm__opportunities",
        "stg_crm__opportunity_stage_history",
        "stg_crm__users",
        "stg_billing__invoices",
        "stg_billing__payments",
        "stg_billing__subscriptions",
        "stg_support__tickets",
        "stg_product__usage_events",
        "stg_marketing__email_events",
        "stg_surveys__responses",
        "stg_training__enrollments",
        "stg_community__posts",
    ],
)
def test_staging_rows_on_spark_equal_duckdb(both_warehouses: dict[str, Any], table: str) -> None:
    duck = both_warehouses["duckdb"][table]
    spark = both_warehouses["spark"][table]
    assert sorted(spark.columns) == sorted(duck.columns)
    assert len(duck) > 0
    assert _rows(spark) == _rows(duck)


def test_spark_load_quarantines_and_audits_as_duckdb(both_warehouses: dict[str, Any]) -> None:
    for name in ("quarantine", "audit"):
        duck = both_warehouses["duckdb"][name]
        spark = both_warehouses["spark"][name]
        assert len(duck) > 0
        assert _rows(spark) == _rows(duck), name
    # Reasons name the column, as on DuckDB: a dirty export has some.
    assert both_warehouses["spark"]["quarantine"]["reason"].str.len().gt(0).all()


def test_loading_the_same_files_again_keeps_one_copy(both_warehouses: dict[str, Any]) -> None:
    duck_orders = int(both_warehouses["duckdb"]["raw_orders"]["n"].iloc[0])
    spark_orders = int(both_warehouses["spark"]["raw_orders"]["n"].iloc[0])
    assert spark_orders == duck_orders > 0
    assert "Loaded into Spark" in both_warehouses["outputs"]["spark_again"]


def test_spark_adapter_appends_by_column_name_and_reads_back(tmp_path: Path) -> None:
    """The adapter the rest of the project writes through (``append_frame``, ``read_frame``):
    columns by name, a column the frame lacks is NULL, the schema created on the way."""
    _java_or_skip()
    from warehouse import append_frame, read_frame, table_exists
    from warehouse.spark import stop_spark_session

    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "warehouse")
    stop_spark_session()  # a session of another warehouse would be reused otherwise
    try:
        ddl = [
            "create table if not exists scratch.facts (a bigint, b string, c double) using parquet"
        ]
        frame = pd.DataFrame({"b": ["x", "y"], "a": [1, 2]})
        assert append_frame(settings, "scratch.facts", frame, ddl=ddl) == 2
        assert append_frame(settings, "scratch.facts", frame.iloc[:0], ddl=ddl) == 0
        assert table_exists(settings, "scratch.facts")
        assert not table_exists(settings, "scratch.missing")
        back = read_frame(settings, "select a, b, c from scratch.facts where a >= %s", (1,))
        assert sorted(back["a"].tolist()) == [1, 2]
        assert back.sort_values("a")["b"].tolist() == ["x", "y"]
        assert back["c"].isna().all()
    finally:
        stop_spark_session()
