"""The whole project on Spark: every intermediate, feature and mart model and both snapshots
build on a local Spark session (contracts enforced), a selection of their dbt tests passes
there, and every relation holds the same rows as on DuckDB built from the same exports -
after a second, incremental run a week later on both (delete+insert, pruning of the dates the
spine left, append, snapshot), so the incremental strategies are compared too.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from tests.spark.warehouses import (
    AS_OF,
    LAYER_MODELS,
    NEXT_AS_OF,
    SNAPSHOTS,
    row_differences,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

#: Relations the 120 generated customers leave empty on DuckDB (their rows compare vacuously;
#: the list fails when one gains rows, so it stays honest).
EMPTY_ON_SMALL_POPULATION: set[str] = set()


def _summary(output: str) -> dict[str, int]:
    """dbt's closing counts (`Done. PASS=.. WARN=.. ERROR=.. SKIP=..`)."""
    done = re.search(r"Done\. (.*)", output)
    assert done, output[-2000:]
    return {key: int(value) for key, value in re.findall(r"([A-Z-]+)=(\d+)", done.group(1))}


def test_every_model_and_snapshot_builds_on_spark(both_warehouses: dict[str, Any]) -> None:
    built = both_warehouses["outputs"]["spark"]["layers"]
    summary = _summary(built)
    assert summary["ERROR"] == 0 and summary["SKIP"] == 0
    assert summary["PASS"] >= len(LAYER_MODELS) + len(SNAPSHOTS)
    assert len(LAYER_MODELS) >= 90 and len(SNAPSHOTS) == 2
    assert "snapshot: 2 success" in built
    assert set(LAYER_MODELS) | set(SNAPSHOTS) <= set(both_warehouses["spark"])


def test_selected_dbt_tests_pass_on_spark(both_warehouses: dict[str, Any]) -> None:
    summary = _summary(both_warehouses["outputs"]["spark"]["layer_tests"])
    assert summary["ERROR"] == 0 and summary.get("FAIL", 0) == 0
    assert summary["PASS"] >= 100


@pytest.mark.parametrize("relation", [*LAYER_MODELS, *SNAPSHOTS])
def test_rows_on_spark_equal_duckdb(both_warehouses: dict[str, Any], relation: str) -> None:
    duck = both_warehouses["duckdb"][relation]
    spark = both_warehouses["spark"][relation]
    assert (len(duck) == 0) == (relation in EMPTY_ON_SMALL_POPULATION), len(duck)
    assert row_differences(duck, spark) == []


def test_incremental_run_rebuilds_and_prunes_as_of_dates_on_spark(
    both_warehouses: dict[str, Any],
) -> None:
    """The second run's date is added and the first run's date (the latest of the first run,
    off the spine's grid) is pruned from a delete+insert model on Spark, as on DuckDB; the
    rest of the rows are compared above."""
    for target in ("duckdb", "spark"):
        features = both_warehouses[target]["features.customer_order_features"]
        dates = set(pd.to_datetime(features["as_of_date"]))
        assert pd.Timestamp(NEXT_AS_OF) in dates and pd.Timestamp(AS_OF) not in dates, target
    incremental = both_warehouses["outputs"]["spark"]["incremental"]
    assert "incremental model" in incremental and _summary(incremental)["ERROR"] == 0


def test_spark_build_time_is_recorded(both_warehouses: dict[str, Any]) -> None:
    """The budget: the Spark build stays a few minutes on two cores (docs/spark.md)."""
    seconds = both_warehouses["seconds"]
    assert 0 < seconds["spark"] < 600, seconds
