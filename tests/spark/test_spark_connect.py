"""`ciw spark serve`: one Spark driver that other commands use over Spark Connect - the
project's own Python as a client, a client without the token refused, SIGTERM (or Ctrl-C) a
clean stop. The Spark build (tests/spark/warehouses.py) loads and runs a dbt build as clients
of `ciw spark serve`, and its `ciw run` serves its own driver to its dbt steps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spark.warehouses import connect_server, java_or_skip

CIW = str(Path(sys.executable).with_name("ciw"))

#: A client of the server: a table written through the loader's insert (columns by name, a
#: missing one NULL) and read back through the adapter.
CLIENT = """
import pandas as pd
from warehouse import read_frame
from warehouse.settings import Settings
from warehouse.spark import insert_by_name, spark_session

settings = Settings.from_env("spark")
try:
    spark = spark_session(settings)
    spark.sql("create schema if not exists scratch")
    spark.sql("create table scratch.pairs (k int, v string, note string) using parquet")
    pairs = pd.DataFrame({"v": ["a", "b"], "k": [1, 2]})
    insert_by_name(spark.createDataFrame(pairs), "scratch.pairs")
    frame = read_frame(settings, "select k, v, note from scratch.pairs order by k")
    print(type(spark).__module__, frame.values.tolist(), frame.attrs)
except Exception as refused:
    print("refused:", type(refused).__name__, " ".join(str(refused).split()))
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_serving_without_a_token_is_one_line_and_starts_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "CIW_SPARK_WAREHOUSE": str(tmp_path / "wh")}
    env.pop("SPARK_CONNECT_AUTHENTICATE_TOKEN", None)
    done = _run([CIW, "spark", "serve"], env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "ciw: error: set SPARK_CONNECT_AUTHENTICATE_TOKEN to a secret before serving Spark "
        "Connect: every client presents the same value (from its own environment)"
    ]
    assert not (tmp_path / "wh").exists()


@pytest.mark.slow
def test_commands_share_one_driver_over_spark_connect(tmp_path: Path) -> None:
    java_or_skip()
    env = {**os.environ, "CIW_TARGET": "spark", "CIW_SPARK_WAREHOUSE": str(tmp_path / "wh")}
    env.pop("CIW_SPARK_REMOTE", None)
    with connect_server(env, tmp_path) as (added, said):
        url = added["CIW_SPARK_REMOTE"]
        assert said.startswith(f"serving Spark (local[2]) warehouse {tmp_path / 'wh'}")
        assert f"CIW_SPARK_REMOTE={url}" in said
        assert added["SPARK_CONNECT_AUTHENTICATE_TOKEN"] not in said
        client = {**env, **added}

        # the project's Python: no JVM of its own, the rows by column name, no plan metrics
        done = _run([sys.executable, "-c", CLIENT], client)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            "pyspark.sql.connect.session [[1, 'a', None], [2, 'b', None]] {}"
        )

        # a command that would open its own session on the served metastore is told to join
        done = _run([sys.executable, "-c", CLIENT], env)
        assert done.stdout.startswith(
            f"refused: WarehouseUnavailable the Spark warehouse {tmp_path / 'wh'} is served by "
            f"process "
        ), done.stdout + done.stderr
        assert f"at {url}: set CIW_SPARK_REMOTE={url}" in done.stdout

        # a client without the server's token is refused
        done = _run(
            [sys.executable, "-c", CLIENT],
            {**client, "SPARK_CONNECT_AUTHENTICATE_TOKEN": "not-the-token"},
        )
        assert done.stdout.startswith("refused:"), done.stdout + done.stderr
        assert "authentication token" in done.stdout.lower()
