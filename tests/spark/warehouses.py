"""The same exports built on DuckDB and on a local Spark session, and the comparison of their
rows, for the Spark tests (tests/spark).

Each Spark step runs in a process of its own (``ciw load``, then dbt), as the embedded Derby
metastore admits one process at a time; the test process opens its own session last, to read.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
import yaml

from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import Settings

#: The as-of date of the build, and of an earlier run a week before it that builds the
#: incremental models first: the build then adds its date to them and prunes the earlier one
#: (not a date of the spine's grid), as a daily run does.
FIRST_AS_OF = "2026-09-24"
AS_OF = "2026-10-01"
#: Columns that say when a row was loaded or built: two builds differ in them by design.
#: (A snapshot's validity is compared as whether the version is current.)
LOAD_TIME_COLUMNS = {
    "_loaded_at",
    "loaded_at",
    "_dbt_loaded_at",
    "recorded_at",
    "dbt_valid_from",
    "dbt_valid_to",
    "dbt_updated_at",
    "dbt_scd_id",
}

#: The project's seeds, one per CSV file.
SEEDS = tuple(sorted(path.stem for path in (DBT_PROJECT_DIR / "seeds").glob("*.csv")))
#: Every model past staging, as `schema.name` (the folder sets the schema).
LAYER_MODELS = tuple(
    sorted(
        f"{layer}.{path.stem}"
        for layer in ("intermediate", "features", "marts")
        for path in (DBT_PROJECT_DIR / "models" / layer).rglob("*.sql")
    )
)
SNAPSHOTS = tuple(
    sorted(
        f"snapshots.{snapshot['name']}"
        for path in (DBT_PROJECT_DIR / "snapshots").glob("*.yml")
        for snapshot in yaml.safe_load(path.read_text())["snapshots"]
    )
)
#: The earlier run: incremental models (and their parents past staging) that the build then
#: updates incrementally on both warehouses: delete+insert on the as-of date (a feature and a
#: label model, which also prune dates the spine left) and on a composite key (a daily
#: pre-aggregate), an append-only history, and the snapshots.
EARLIER_RUN = (
    "+customer_order_features",
    "+customer_churn_labels",
    "+int_account_user_usage_daily",
    "+identity_merge_history",
    "resource_type:snapshot",
)
#: The staging and seed tests run on Spark: a folder whose tests have every kind the staging
#: layer uses (unique, not_null, relationships, accepted_values, accepted_range, not_in_future,
#: not_before) and the seeds'. The rows of every staging model are compared with DuckDB's,
#: where all of them run, so the others could only fail on Spark by failing there too.
SPARK_TESTED_STAGING = (
    "resource_type:test,path:models/staging/billing",
    "resource_type:test,path:seeds",
)
#: The dbt tests run on Spark with the later layers (the staging layer's all run): a selection
#: that stays cheap - the identity graph, the labels, the alerts and the snapshots.
SPARK_TESTED = tuple(
    f"resource_type:test,path:{folder}"
    for folder in (
        "models/intermediate/identity",
        "models/features/labels",
        "models/marts/alerts",
        "snapshots",
    )
)


def java_or_skip() -> None:
    from warehouse.connections import WarehouseUnavailable
    from warehouse.spark import require_java

    try:
        require_java()
    except WarehouseUnavailable as missing:
        if os.environ.get("CIW_REQUIRE_SPARK") == "1":
            pytest.fail(f"Spark is required (CIW_REQUIRE_SPARK=1): {missing}")
        pytest.skip(str(missing))


def ciw_env(settings: Settings, tmp: Path, as_of: str) -> dict[str, str]:
    return {
        **os.environ,
        "CIW_TARGET": settings.target,
        "CIW_DUCKDB_PATH": str(settings.duckdb_path),
        "CIW_SPARK_WAREHOUSE": str(settings.spark_warehouse_dir),
        "CIW_ARTIFACTS_DIR": str(tmp / f"artifacts_{settings.target}"),
        "CIW_DBT_TARGET_PATH": str(tmp / f"dbt_{settings.target}"),
        "CIW_AS_OF_DATE": as_of,
    }


def ciw(args: list[str], env: dict[str, str], cwd: Path) -> str:
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


def build(settings: Settings, exports: Path, tmp: Path) -> dict[str, str]:
    """Load the exports and build the project as an engineer would through `ciw`: the seeds,
    the staging layer and their tests; an earlier run of the incremental models; then every
    later model and the snapshots (on Spark with a selection of the tests, SPARK_TESTED_STAGING
    and SPARK_TESTED). Returns each command's output and, under `seconds`, how long the target
    took."""
    env = ciw_env(settings, tmp, as_of=AS_OF)
    spark = settings.target == "spark"
    started = time.monotonic()
    out = {"load": ciw(["load", str(exports)], env, tmp)}
    no_unit_tests = ("--exclude-resource-type", "unit_test")
    options = ("--indirect-selection", "empty", *no_unit_tests)
    seeds_and_staging = ("staging", "resource_type:seed")
    # DuckDB runs every staging and seed test (a bare folder selects its tests too); Spark the
    # models and seeds, and the tests with each kind of test.
    staging = (
        ("resource_type:model,staging", "resource_type:seed", *SPARK_TESTED_STAGING, *options)
        if spark
        else (*seeds_and_staging, "--indirect-selection", "cautious", *no_unit_tests)
    )
    out["staging"] = ciw(["dbt", "build", "--select", *staging], env, tmp)
    out["earlier"] = ciw(
        ["dbt", "build", "--select", *EARLIER_RUN, "--exclude", *seeds_and_staging, *options],
        ciw_env(settings, tmp, as_of=FIRST_AS_OF),
        tmp,
    )
    # Models by layer (a bare folder would select its tests too), the snapshots.
    layers = (
        "resource_type:model,intermediate",
        "resource_type:model,features",
        "resource_type:model,marts",
        "resource_type:snapshot",
    )
    tested = SPARK_TESTED if spark else ()
    out["layers"] = ciw(["dbt", "build", "--select", *layers, *tested, *options], env, tmp)
    out["seconds"] = f"{time.monotonic() - started:.0f}"
    return out


def plain(value: Any) -> Any:
    """One spelling per value across engines: every number but a boolean as a float,
    timestamps as naive pandas Timestamps, every kind of missing value as None."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal | float | int):
        return float(value)
    if isinstance(value, dt.date | pd.Timestamp):  # DuckDB returns dates as timestamps
        stamp = pd.Timestamp(value)
        return stamp.tz_convert(None) if stamp.tzinfo else stamp
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def _values(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    return [
        tuple(plain(value) for value in row)
        for row in frame[columns].itertuples(index=False, name=None)
    ]


def _sorted(values: list[tuple[Any, ...]], order: list[int]) -> list[tuple[Any, ...]]:
    def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            (2, 0.0, "")
            if row[index] is None
            else (0, row[index], "")
            if isinstance(row[index], float)
            else (1, 0.0, str(row[index]))
            for index in order
        )

    return sorted(values, key=sort_key)


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows, columns by name (load times aside), sorted."""
    columns = sorted(column for column in frame.columns if column not in LOAD_TIME_COLUMNS)
    return _sorted(_values(frame, columns), list(range(len(columns))))


#: Money averages cast from a double to two decimals: DuckDB rounds the double (618.93 / 2 is
#: 309.46499.. there, so 309.46), Spark and PostgreSQL its shortest spelling (309.465, so
#: 309.47). Equal within a cent.
CENT_ROUNDED_COLUMNS = {"average_order_value"}
CENT = 0.01 + 1e-9  # 309.47 - 309.46 is 0.0100000000000477 in floats


def same_value(left: Any, right: Any, tolerance: float = 1e-6) -> bool:
    """Equal, floats to a millionth (relative, or absolute near zero) unless told otherwise:
    Spark divides decimals to six places where DuckDB divides in doubles."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-6, abs_tol=tolerance)
    return bool(left == right)


def row_differences(duck: pd.DataFrame, spark: pd.DataFrame, limit: int = 5) -> list[str]:
    """What differs between two relations' rows (empty when they are the same)."""
    duck_columns = sorted(set(duck.columns) - LOAD_TIME_COLUMNS)
    spark_columns = sorted(set(spark.columns) - LOAD_TIME_COLUMNS)
    if duck_columns != spark_columns:
        return [f"columns differ: {sorted(set(duck_columns) ^ set(spark_columns))}"]
    if len(duck) != len(spark):
        return [f"{len(duck)} rows on DuckDB, {len(spark)} on Spark"]
    # Both sorted on the columns without fractions on DuckDB first (keys, dates, texts,
    # counts), so that floats differing in their last digits do not reorder the rows.
    duck_values = _values(duck, duck_columns)
    exact = [
        index
        for index in range(len(duck_columns))
        if all(not isinstance(row[index], float) or row[index].is_integer() for row in duck_values)
    ]
    order = exact + [index for index in range(len(duck_columns)) if index not in exact]
    found = []
    pairs = zip(
        _sorted(duck_values, order), _sorted(_values(spark, duck_columns), order), strict=True
    )
    for duck_row, spark_row in pairs:
        differing = [
            f"{column}: {left!r} != {right!r}"
            for column, left, right in zip(duck_columns, duck_row, spark_row, strict=True)
            if not same_value(left, right, CENT if column in CENT_ROUNDED_COLUMNS else 1e-6)
        ]
        if differing:
            found.append("; ".join(differing))
            if len(found) == limit:
                break
    return found


def with_snapshot_currency(frame: pd.DataFrame) -> pd.DataFrame:
    """A snapshot's rows with whether each version is current: its validity timestamps are
    the build's, but which versions are open must agree."""
    if "dbt_valid_to" not in frame.columns:
        return frame
    return frame.assign(is_current_version=frame["dbt_valid_to"].isna())


def collected(frame: Any) -> pd.DataFrame:
    """A Spark frame collected (the test's frames are small)."""
    return cast(pd.DataFrame, frame.toPandas())


def sorted_by(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def numbers_as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimal columns as floats: a money label is a ``Decimal`` from one engine and a float
    from the other (the values compared, not their Python type)."""
    decimals = [
        column
        for column in frame.columns
        if frame[column].dtype == object and frame[column].map(type).eq(Decimal).any()
    ]
    return frame.astype(dict.fromkeys(decimals, "float64")) if decimals else frame


def assert_same_features(want: pd.DataFrame, got: pd.DataFrame, keys: list[str]) -> None:
    """Same rows and columns; floats to a millionth (Spark and DuckDB round divisions apart,
    see docs/spark.md), the half-cent averages to a cent, missing where Feast's are missing."""
    assert list(got.columns) == list(want.columns)
    got, want = numbers_as_floats(sorted_by(got, keys)), numbers_as_floats(sorted_by(want, keys))
    cents = [column for column in want.columns if column in CENT_ROUNDED_COLUMNS]
    pd.testing.assert_frame_equal(
        got.drop(columns=cents), want.drop(columns=cents), check_dtype=False, rtol=1e-6, atol=1e-9
    )
    for column in cents:
        np.testing.assert_allclose(got[column], want[column], rtol=0, atol=CENT, err_msg=column)
