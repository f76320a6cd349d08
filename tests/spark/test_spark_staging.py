"""The Spark target on a real local session: the loader writes the raw layer through Spark with
the same validation, quarantine and audit as DuckDB, and the seeds and every staging model
build on Spark with the same rows as on DuckDB from the same exports (the session's build:
tests/spark/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.spark.warehouses import SEEDS, row_differences
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


@pytest.mark.parametrize("seed", SEEDS)
def test_seeds_on_spark_equal_duckdb(both_warehouses: dict[str, Any], seed: str) -> None:
    """Empty cells are NULL on both (dbt-spark's own seed loader wrote the text 'None')."""
    duck = both_warehouses["duckdb"][seed]
    spark = both_warehouses["spark"][seed]
    assert list(spark.columns) == list(duck.columns)
    assert row_differences(duck, spark) == []
    if seed == "alert_types":
        assert duck["model_name"].isna().any() and "None" not in set(spark["model_name"])


def test_every_staging_model_builds_on_spark(both_warehouses: dict[str, Any]) -> None:
    tables = both_warehouses["tables"]
    assert len(tables) >= 22
    assert set(tables) <= set(both_warehouses["spark"])
    # Built and tested by the pipeline's dbt step, its tests among the run's passed checks.
    passed = set(both_warehouses["checks"]["spark"]["passed"])
    assert any("stg_commerce__orders" in check for check in passed)


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
    assert row_differences(duck, spark) == []


def test_spark_load_quarantines_and_audits_as_duckdb(both_warehouses: dict[str, Any]) -> None:
    for name in ("quarantine", "audit"):
        duck = both_warehouses["duckdb"][name]
        spark = both_warehouses["spark"][name]
        assert len(duck) > 0
        assert row_differences(duck, spark) == [], name
    # Reasons name the column, as on DuckDB: a dirty export has some.
    assert both_warehouses["spark"]["quarantine"]["reason"].str.len().gt(0).all()


def test_loading_the_same_files_again_keeps_one_copy(both_warehouses: dict[str, Any]) -> None:
    """The orders file loaded a second time (after the build, before the reads): the same rows,
    once, and the same audit as DuckDB's single load."""
    again = both_warehouses["load_again"]
    assert [file.table_key for file in again.files] == ["commerce.orders"]
    assert again.rows_read == again.rows_loaded + again.rows_quarantined > 0
    duck_orders = int(both_warehouses["duckdb"]["raw_orders"]["n"].iloc[0])
    spark_orders = int(both_warehouses["spark"]["raw_orders"]["n"].iloc[0])
    assert spark_orders == duck_orders == again.rows_loaded


def test_spark_adapter_appends_by_column_name_and_reads_back(
    both_warehouses: dict[str, Any],
) -> None:
    """The adapter the rest of the project writes through (``append_frame``, ``read_frame``):
    columns by name, a column the frame lacks is NULL, the schema created on the way (in the
    build's warehouse, through the session the fixture keeps open)."""
    from warehouse import append_frame, read_frame, table_exists

    settings: Settings = both_warehouses["settings"]["spark"]
    assert not table_exists(settings, "scratch.facts")
    ddl = ["create table if not exists scratch.facts (a bigint, b string, c double) using parquet"]
    frame = pd.DataFrame({"b": ["x", "y"], "a": [1, 2]})
    assert append_frame(settings, "scratch.facts", frame, ddl=ddl) == 2
    assert append_frame(settings, "scratch.facts", frame.iloc[:0], ddl=ddl) == 0
    assert table_exists(settings, "scratch.facts")
    assert not table_exists(settings, "scratch.missing")
    back = read_frame(settings, "select a, b, c from scratch.facts where a >= %s", (1,))
    assert sorted(back["a"].tolist()) == [1, 2]
    assert back.sort_values("a")["b"].tolist() == ["x", "y"]
    assert back["c"].isna().all()
