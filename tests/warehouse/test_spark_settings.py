"""The Spark target's settings: from the environment, one configuration for the project and
dbt, secrets kept out of it, the contract's types in Spark's spelling."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from warehouse.connections import WarehouseUnavailable, preflight
from warehouse.settings import Settings, SettingsError
from warehouse.spark import QUICK_START_JAVA_OPTIONS, spark_conf, spark_table_ddl, spark_type


def test_environment_configures_spark(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CIW_SPARK_MASTER", "spark://cluster:7077")
    monkeypatch.setenv("CIW_SPARK_WAREHOUSE", str(tmp_path / "wh"))
    settings = Settings.from_env("spark")
    assert settings.target == "spark"
    assert settings.spark_master == "spark://cluster:7077"
    assert settings.describe() == f"Spark (spark://cluster:7077) warehouse {tmp_path / 'wh'}"
    # The default metastore: a Derby folder beside the tables.
    assert settings.spark_metastore == (
        f"jdbc:derby:;databaseName={tmp_path / 'metastore_db'};create=true"
    )
    assert settings.artifacts_dir == tmp_path / "artifacts"
    # Spark's own errors go to a log file beside the tables, not to the user's screen.
    assert settings.spark_log_path == tmp_path / "spark.log"
    assert (
        f"-Dciw.spark.log={tmp_path / 'spark.log'}"
        in (spark_conf(settings)["spark.driver.extraJavaOptions"])
    )


def test_dbt_gets_the_same_session_settings_without_the_metastore_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIW_SPARK_WAREHOUSE", str(tmp_path / "wh"))
    monkeypatch.setenv("CIW_SPARK_METASTORE_URL", "jdbc:postgresql://meta/hive")
    monkeypatch.setenv("CIW_SPARK_METASTORE_PASSWORD", "s3cret-metastore")
    monkeypatch.setenv("CIW_SPARK_EXTRA_CONF", '{"spark.executor.memory": "8g"}')
    settings = Settings.from_env("spark")
    conf = json.loads(settings.dbt_env()["CIW_SPARK_CONF"])
    assert conf == spark_conf(settings)
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == "jdbc:postgresql://meta/hive"
    assert conf["spark.executor.memory"] == "8g"
    assert conf["spark.sql.warehouse.dir"] == str((tmp_path / "wh").resolve())
    assert "s3cret-metastore" not in json.dumps(settings.dbt_env())
    assert "s3cret-metastore" not in repr(settings)


def test_a_local_session_gets_the_duckdb_share_of_the_ram_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    monkeypatch.delenv("CIW_SPARK_EXTRA_CONF", raising=False)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    memory = spark_conf(Settings(target="spark"))["spark.driver.memory"]
    assert memory == f"{max(1024, int(ram * 0.4) >> 20)}m"  # 40 % of the RAM, at least 1 GiB
    monkeypatch.setenv("CIW_SPARK_EXTRA_CONF", '{"spark.driver.memory": "3g"}')
    assert spark_conf(Settings(target="spark"))["spark.driver.memory"] == "3g"
    # a cluster's driver is sized by the cluster's own settings
    monkeypatch.delenv("CIW_SPARK_EXTRA_CONF")
    monkeypatch.setenv("CIW_SPARK_MASTER", "yarn")
    assert "spark.driver.memory" not in spark_conf(Settings.from_env("spark"))


def test_the_drivers_jvm_takes_more_options_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIW_SPARK_WAREHOUSE", str(tmp_path / "wh"))
    monkeypatch.delenv("CIW_SPARK_EXTRA_CONF", raising=False)
    monkeypatch.setenv("CIW_SPARK_JAVA_OPTIONS", "")
    plain = spark_conf(Settings.from_env("spark"))["spark.driver.extraJavaOptions"]
    assert "-XX:" not in plain
    monkeypatch.setenv("CIW_SPARK_JAVA_OPTIONS", f"  {QUICK_START_JAVA_OPTIONS}\n")
    options = spark_conf(Settings.from_env("spark"))["spark.driver.extraJavaOptions"]
    # appended to the project's own options (the metastore's and the log's stay), on one line
    assert options == f"{plain} -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"
    # and dbt's session gets the same
    conf = json.loads(Settings.from_env("spark").dbt_env()["CIW_SPARK_CONF"])
    assert conf["spark.driver.extraJavaOptions"] == options
    monkeypatch.setenv("CIW_SPARK_JAVA_OPTIONS", "TieredStopAtLevel=1")
    with pytest.raises(SettingsError, match="CIW_SPARK_JAVA_OPTIONS must be JVM options"):
        spark_conf(Settings.from_env("spark"))


def test_extra_spark_settings_must_be_a_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_SPARK_EXTRA_CONF", "executor.memory=8g")
    with pytest.raises(SettingsError, match="CIW_SPARK_EXTRA_CONF is not JSON"):
        spark_conf(Settings(target="spark"))
    monkeypatch.setenv("CIW_SPARK_EXTRA_CONF", '["a"]')
    with pytest.raises(SettingsError, match="must be a JSON object"):
        spark_conf(Settings(target="spark"))


@pytest.mark.parametrize(
    ("contract", "spark"),
    [
        ("varchar", "string"),
        ("numeric(18, 2)", "decimal(18,2)"),
        ("numeric(5,1)", "decimal(5,1)"),
        ("timestamp", "timestamp"),
        ("bigint", "bigint"),
        ("double precision", "double"),
        ("boolean", "boolean"),
    ],
)
def test_contract_types_in_spark(contract: str, spark: str) -> None:
    assert spark_type(contract) == spark


def test_hand_written_tables_lose_keys_and_constraints_on_spark() -> None:
    """The operational tables' DDL (drift results, logs) in DuckDB and PostgreSQL spelling
    becomes a Parquet table Spark takes: types translated, no keys, defaults or not-nulls."""
    from ml.monitoring.drift_results import drift_table_ddl

    assert spark_table_ddl(
        "create table if not exists ops.log (\n  key varchar not null primary key,\n"
        "  amount numeric(12, 2) default 0,\n  note text,\n  seen timestamp not null,\n"
        "  primary key (key, seen)\n)"
    ) == (
        "create table if not exists ops.log (key string, amount decimal(12,2), note string,"
        " seen timestamp) using parquet"
    )
    drift = spark_table_ddl(drift_table_ddl("spark"))
    assert drift.startswith("create table if not exists ml.drift_results (run_id string,")
    assert "not null" not in drift and drift.endswith("report_path string) using parquet")
    # Anything else passes unchanged.
    assert spark_table_ddl("select 1 as x") == "select 1 as x"


def test_without_java_a_spark_run_stops_in_one_line_before_touching_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh")
    with pytest.raises(WarehouseUnavailable, match="needs Java 17 or newer"):
        preflight(settings)
    assert not (tmp_path / "wh").exists()


def test_dagster_steps_see_the_same_spark_warehouse(tmp_path: Path) -> None:
    """The pipeline's steps rebuild ``Settings`` from Dagster's warehouse resource: on Spark
    they open the same tables, master and metastore as the command that started the run."""
    from orchestration.resources import WarehouseResource

    settings = Settings(
        target="spark",
        spark_master="local[1]",
        spark_warehouse_dir=tmp_path / "wh",
        spark_metastore_url="jdbc:postgresql://metastore/hive",
    )
    again = WarehouseResource.from_settings(settings).settings()
    assert again.target == "spark"
    assert again.spark_warehouse_dir == tmp_path / "wh"
    assert again.spark_master == "local[1]"
    assert again.spark_metastore == "jdbc:postgresql://metastore/hive"
    # preflight makes the folder the tables and the default metastore live in.
    preflight(Settings(target="spark", spark_warehouse_dir=tmp_path / "other" / "wh"))
    assert (tmp_path / "other" / "wh").is_dir()


def test_elsewhere_gives_a_spark_warehouse_its_own_folder(tmp_path: Path) -> None:
    settings = Settings(target="spark", spark_metastore_url="jdbc:derby:;databaseName=x")
    moved = settings.elsewhere(duckdb_path=tmp_path / "bench.duckdb", pg_database="unused")
    assert moved.spark_warehouse_dir == tmp_path / "bench" / "spark" / "warehouse"
    assert moved.spark_metastore == (
        f"jdbc:derby:;databaseName={tmp_path / 'bench' / 'spark' / 'metastore_db'};create=true"
    )


def test_a_spark_connect_server_is_named_by_url_without_its_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIW_SPARK_WAREHOUSE", str(tmp_path / "wh"))
    monkeypatch.setenv("CIW_SPARK_REMOTE", "sc://localhost:15002")
    settings = Settings.from_env("spark")
    assert settings.spark_remote == "sc://localhost:15002"
    assert settings.describe() == f"Spark Connect sc://localhost:15002 warehouse {tmp_path / 'wh'}"
    monkeypatch.setenv("CIW_SPARK_REMOTE", "localhost:15002")
    with pytest.raises(SettingsError, match="must be a Spark Connect URL"):
        Settings.from_env("spark")
    # the URL is printed and kept with each run's configuration: the token goes elsewhere
    monkeypatch.setenv("CIW_SPARK_REMOTE", "sc://localhost:15002/;token=s3cret")
    with pytest.raises(SettingsError, match="SPARK_CONNECT_AUTHENTICATE_TOKEN") as refused:
        Settings.from_env("spark")
    assert "s3cret" not in str(refused.value)


def test_dbt_on_a_spark_connect_server_is_a_client_with_session_settings_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """dbt-spark's `session` method becomes a Spark Connect client through SPARK_REMOTE; the
    server owns the master, the warehouse folder and the metastore, so dbt is given only the
    settings a session may change (a master beside SPARK_REMOTE is refused by PySpark)."""
    from warehouse.spark_connect import REMOTE_SESSION_CONF

    monkeypatch.setenv("PYTHONWARNINGS", "default")
    settings = Settings(
        target="spark", spark_warehouse_dir=tmp_path / "wh", spark_remote="sc://localhost:15002"
    )
    env = settings.dbt_env()
    assert env["SPARK_REMOTE"] == "sc://localhost:15002"
    conf = json.loads(env["CIW_SPARK_CONF"])
    assert set(conf) == set(REMOTE_SESSION_CONF)
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert "spark.master" not in conf
    assert env["PYTHONWARNINGS"] == "default,ignore::UserWarning:pyspark.sql.connect.conf"
    # without a server dbt-spark starts its own session with the whole configuration
    alone = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh").dbt_env()
    assert "SPARK_REMOTE" not in alone
    assert json.loads(alone["CIW_SPARK_CONF"])["spark.master"] == "local[2]"


def test_dagster_steps_keep_the_spark_connect_server(tmp_path: Path) -> None:
    from orchestration.resources import WarehouseResource

    settings = Settings(
        target="spark", spark_warehouse_dir=tmp_path / "wh", spark_remote="sc://localhost:15002"
    )
    assert WarehouseResource.from_settings(settings).settings() == settings


def test_serving_spark_connect_needs_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Spark Connect server runs any SQL and Python it is sent: it does not start without a
    token, before any JVM is started or folder made."""
    from warehouse.spark_connect import CONNECT_TOKEN_ENV, start_connect_server

    monkeypatch.delenv(CONNECT_TOKEN_ENV, raising=False)
    with pytest.raises(WarehouseUnavailable, match=f"set {CONNECT_TOKEN_ENV}"):
        start_connect_server(Settings(target="spark", spark_warehouse_dir=tmp_path / "wh"), 15002)
    assert not (tmp_path / "wh").exists()


def test_a_process_serving_its_driver_gives_dbt_its_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`ciw run` serves its session over Spark Connect (warehouse.spark.serve_own_session):
    the dbt steps it starts are then clients of it, not JVMs of their own."""
    from warehouse import spark_connect as spark

    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh")
    assert spark.served_url() == ""
    monkeypatch.setitem(spark._SERVED, "url", "sc://localhost:40123")
    assert settings.dbt_env()["SPARK_REMOTE"] == "sc://localhost:40123"
    assert "spark.master" not in json.loads(settings.dbt_env()["CIW_SPARK_CONF"])


#: Another process serving the warehouse: it holds the claim file as `ciw spark serve` does.
HOLD_CLAIM = """
import fcntl, os, sys
with open(sys.argv[1], "a+") as claim:
    fcntl.flock(claim.fileno(), fcntl.LOCK_EX)
    claim.seek(0)
    claim.truncate()
    claim.write(f"{os.getpid()} sc://localhost:41234")
    claim.flush()
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_warehouse_served_by_another_process_is_joined_not_opened_again(
    tmp_path: Path,
) -> None:
    """Embedded Derby admits one JVM: while `ciw spark serve` (or a run) serves the
    warehouse, a command that would start its own session (the project's Python, dbt through
    `ciw dbt`) stops in one line naming the server and the URL to join, before any JVM."""
    import subprocess
    import sys

    from warehouse.adapters import adapter_for
    from warehouse.spark import spark_session
    from warehouse.spark_connect import claim_path

    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh")
    claim_path(settings).parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_CLAIM, str(claim_path(settings))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        wanted = (
            f"the Spark warehouse {tmp_path / 'wh'} is served by process {holder.pid} "
            rf"\(python -c .*\) at sc://localhost:41234: set CIW_SPARK_REMOTE=sc://localhost:41234"
        )
        with pytest.raises(WarehouseUnavailable, match=wanted):
            spark_session(settings)
        with pytest.raises(WarehouseUnavailable, match=wanted):
            adapter_for(settings).ensure_database()
        # a client of that server goes ahead (the adapter only makes the folder)
        adapter_for(replace(settings, spark_remote="sc://localhost:41234")).ensure_database()
    finally:
        holder.communicate("", timeout=30)
    # the server gone, its claim is free again (the kernel releases a dead process's lock)
    adapter_for(settings).ensure_database()
    assert (tmp_path / "wh").is_dir()


def test_checks_at_the_same_moment_do_not_see_each_other_as_a_server(tmp_path: Path) -> None:
    """Threads (the Spark tests read from four) and processes that check the claim at once,
    with a stale line of an ended server in it, all go ahead; a server claiming meanwhile
    waits for the checks instead of failing."""
    import fcntl
    from concurrent.futures import ThreadPoolExecutor

    from warehouse import spark_connect
    from warehouse.spark_connect import claim_path, refuse_if_served_elsewhere

    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh")
    path = claim_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("11635 sc://localhost:44401")  # the server that wrote it has ended
    with path.open("a+") as checking:  # another checker, mid-check
        fcntl.flock(checking.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for each in [pool.submit(refuse_if_served_elsewhere, settings) for _ in range(200)]:
                each.result()  # none raises
        with ThreadPoolExecutor(max_workers=1) as pool:
            claimed = pool.submit(spark_connect._claim, settings, "sc://localhost:40001")
            # the server's exclusive claim waits while the check holds the file
            with pytest.raises(TimeoutError):
                claimed.result(timeout=0.2)
            fcntl.flock(checking.fileno(), fcntl.LOCK_UN)
            claimed.result(timeout=5)
    try:
        assert path.read_text() == f"{os.getpid()} sc://localhost:40001"
    finally:
        spark_connect.stop_serving()
