"""The Spark target's settings: from the environment, one configuration for the project and
dbt, secrets kept out of it, the contract's types in Spark's spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warehouse.connections import WarehouseUnavailable, preflight
from warehouse.settings import Settings, SettingsError
from warehouse.spark import spark_conf, spark_type


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


def test_the_whole_pipeline_on_spark_is_refused_with_what_works(tmp_path: Path) -> None:
    from orchestration.launch import run_pipeline

    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh")
    with pytest.raises(WarehouseUnavailable, match="ciw load --target spark"):
        preflight(settings)
    # ciw run, train, backfill and backtest all start the pipeline here: nothing is touched.
    with pytest.raises(WarehouseUnavailable, match="builds every dbt model"):
        run_pipeline(settings)
    assert not (tmp_path / "wh").exists()


def test_elsewhere_gives_a_spark_warehouse_its_own_folder(tmp_path: Path) -> None:
    settings = Settings(target="spark", spark_metastore_url="jdbc:derby:;databaseName=x")
    moved = settings.elsewhere(duckdb_path=tmp_path / "bench.duckdb", pg_database="unused")
    assert moved.spark_warehouse_dir == tmp_path / "bench" / "spark" / "warehouse"
    assert moved.spark_metastore == (
        f"jdbc:derby:;databaseName={tmp_path / 'bench' / 'spark' / 'metastore_db'};create=true"
    )
