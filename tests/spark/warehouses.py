"""The same exports built on DuckDB and on a local Spark session, and the comparison of their
rows, for the Spark tests (tests/spark).

Each Spark step runs in a process of its own (``ciw load``, then dbt), as the embedded Derby
metastore admits one process at a time; the test process opens its own session last, to read.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest
import yaml

from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import Settings
from warehouse.spark_connect import free_local_port

#: The as-of date of the build, the day after the exports end (END_DATE), and of an earlier
#: run four days before it that builds the incremental models first: the build then adds its
#: date to them, rebuilds the spine's grid date between the two (2026-09-21, within the
#: late-arriving lookback, which the models read while they rewrite it) and prunes the
#: earlier run's date (not a grid date), as a daily run does.
END_DATE = dt.date(2026, 9, 25)
FIRST_AS_OF = "2026-09-22"
REBUILT_GRID_DATE = "2026-09-21"
AS_OF = "2026-09-26"
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
#: Columns that name the run or when it scored: two runs differ in them by design.
RUN_COLUMNS = {"run_id", "scored_at"}

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
#: The earlier run: incremental models (with every model and seed they read) that the run then
#: updates incrementally on both warehouses: delete+insert on the as-of date (feature and label
#: models, which also prune dates the spine left; on Spark partitioned by it, the label model
#: rebuilding dates it holds), on the as-of date and the account (a feature model partitioned by
#: date on Spark) and on a composite key (a daily pre-aggregate), an append-only history, and
#: the snapshots.
EARLIER_RUN = (
    "+customer_order_features",
    "+customer_category_features",
    "+customer_churn_labels",
    "+account_adoption_features",
    "+int_account_user_usage_daily",
    "+identity_merge_history",
    "+resource_type:snapshot",
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


#: The environment the test session started with: the builds' `ciw` processes see it rather
#: than the worker's environment at the time, which in-process tests before them may have
#: added to (Feast's metrics folder, OpenMP flags), so the builds do not depend on test order.
SESSION_ENV = dict(os.environ)


def ciw_env(settings: Settings, tmp: Path, as_of: str) -> dict[str, str]:
    return {
        **SESSION_ENV,
        "CIW_TARGET": settings.target,
        "CIW_DUCKDB_PATH": str(settings.duckdb_path),
        "CIW_SPARK_WAREHOUSE": str(settings.spark_warehouse_dir),
        "CIW_ARTIFACTS_DIR": str(tmp / f"artifacts_{settings.target}"),
        "CIW_DBT_TARGET_PATH": str(tmp / f"dbt_{settings.target}"),
        "CIW_AS_OF_DATE": as_of,
        "DAGSTER_HOME": str(tmp / f"dagster_{settings.target}"),
    }


def ciw(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ciw")), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, f"ciw {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr  # what the engineer's screen shows


def build(settings: Settings, exports: Path, tmp: Path) -> dict[str, str]:
    """Load the exports and run the project as an engineer would through `ciw`: an earlier
    dbt run of the incremental models (and the staging models and seeds they read) four days
    before, then the whole pipeline as of the build's date (`ciw run --as-of`: every dbt
    model and test, Feast, training, scoring, the scored marts and the alerts). Returns each
    command's output, under `pipeline_started` when `ciw run` started (seconds since the epoch)
    and under `seconds` how long the target took.

    On Spark the load and the earlier build are clients of one `ciw spark serve` (its JVM
    warm for the second), which stops before `ciw run`: the run serves its own driver to its
    dbt steps, as it does for a user without a server."""
    env = ciw_env(settings, tmp, as_of=AS_OF)
    earlier_env = ciw_env(settings, tmp, as_of=FIRST_AS_OF)
    started = time.monotonic()
    no_tests = ("--indirect-selection", "empty", "--exclude-resource-type", "unit_test")
    earlier = ["dbt", "build", "--select", *EARLIER_RUN, *no_tests]
    out: dict[str, str] = {}
    if settings.target == "spark":
        with connect_server(env, tmp) as (client, _):
            out["load"] = ciw(["load", str(exports)], {**env, **client}, tmp)
            out["earlier"] = ciw(earlier, {**earlier_env, **client}, tmp)
    else:
        out["load"] = ciw(["load", str(exports)], env, tmp)
        out["earlier"] = ciw(earlier, earlier_env, tmp)
    out["pipeline_started"] = repr(time.time())
    out["pipeline"] = ciw(["run", "--as-of", AS_OF], env, tmp)
    out["seconds"] = f"{time.monotonic() - started:.0f}"
    return out


@contextmanager
def connect_server(env: dict[str, str], tmp: Path) -> Iterator[tuple[dict[str, str], str]]:
    """`ciw spark serve` on the warehouse of ``env`` with a fresh token, until the block ends
    (SIGTERM, as `kill` would): yields what a client adds to its environment and the line
    the server said when it was ready. It must stop cleanly, never showing the token."""
    token = secrets.token_urlsafe(24)
    port = free_local_port()
    log = (tmp / "spark_serve.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("ciw")), "spark", "serve", "--port", str(port)],
        env={**env, "SPARK_CONNECT_AUTHENTICATE_TOKEN": token},
        cwd=tmp,
        stdout=log,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(server.stderr.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout=300)
        assert ready and ready[0].startswith("serving "), f"ciw spark serve: {ready}"
        client = {
            "CIW_SPARK_REMOTE": f"sc://localhost:{port}",
            "SPARK_CONNECT_AUTHENTICATE_TOKEN": token,
        }
        yield client, ready[0]
    finally:
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=120)
        log.close()
    assert server.returncode == 0, rest
    assert rest.strip().splitlines()[-1] == "Spark Connect server stopped"
    assert token not in rest


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


#: Relations that hold what the models trained on each warehouse predict. The training sets
#: agree to a millionth (Spark divides decimals to six places, DuckDB in doubles); the fits
#: (BG/NBD's likelihood, Gamma-Gamma, the logistic regressions) carry that to a few
#: hundred-thousandths of a score, so these compare to a ten-thousandth.
MODEL_OUTPUTS = {
    "intermediate.int_predictions_latest",
    "marts.customer_risk_scores",
    "marts.customer_predictions",
    "marts.customer_journey",
    "marts.account_risk_scores",
    "marts.deal_risk_scores",
    "marts.lead_conversion_scores",
    "marts.rep_deal_risk",
    "marts.deal_review_queue",
}
MODEL_OUTPUT_TOLERANCE = 1e-4


def same_value(left: Any, right: Any, tolerance: float = 1e-6, relative: float = 1e-6) -> bool:
    """Equal, floats to a millionth (relative, or absolute near zero) unless told otherwise:
    Spark divides decimals to six places where DuckDB divides in doubles."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=relative, abs_tol=tolerance)
    return bool(left == right)


def row_differences(
    duck: pd.DataFrame, spark: pd.DataFrame, limit: int = 5, relative: float = 1e-6
) -> list[str]:
    """What differs between two relations' rows (empty when they are the same). A model
    version is compared as what scored - a rule (`rule:<name>`) or a trained model - as two
    registries give the same model different version ids."""
    duck, spark = run_neutral(duck), run_neutral(spark)
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
            if not same_value(left, right, relative=relative)
        ]
        if differing:
            found.append("; ".join(differing))
            if len(found) == limit:
                break
    return found


def run_neutral(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the run's own columns, its model versions as `trained` or the rule."""
    versions = {
        column: frame[column].map(
            lambda value: value if value is None or str(value).startswith("rule:") else "trained"
        )
        for column in frame.columns
        if column.endswith("model_version")
    }
    return frame.drop(columns=[c for c in frame.columns if c in RUN_COLUMNS]).assign(**versions)


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
    see docs/spark.md), missing where Feast's are missing."""
    assert list(got.columns) == list(want.columns)
    got, want = numbers_as_floats(sorted_by(got, keys)), numbers_as_floats(sorted_by(want, keys))
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-6, atol=1e-9)
