"""End to end through the command line: generate, load, dbt build, on DuckDB and on Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ciw.cli import main
from ciw.settings import Settings
from sources.contract import raw_tables

pytestmark = pytest.mark.slow


def _query(settings: Settings, sql: str) -> list[tuple]:
    if settings.target == "duckdb":
        from ciw.warehouse import connect_duckdb

        with connect_duckdb(settings) as connection:
            return connection.execute(sql).fetchall()
    from ciw.warehouse import connect_postgres

    with connect_postgres(settings) as connection:
        return connection.execute(sql).fetchall()


def _point_environment_at(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    for key, value in settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp / "dbt_target"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))


def test_generate_load_build(
    warehouse_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = warehouse_settings
    _point_environment_at(settings, monkeypatch, tmp_path)
    exports = tmp_path / "exports"

    generate = ["generate", "--customers", "400", "--seed", "7", "--end-date", "2026-10-31"]
    assert main([*generate, "--out", str(exports)]) == 0
    assert main(["load", str(exports), "--target", settings.target]) == 0

    # Every batch balances and every declared raw table exists (absent sources too).
    audit = _query(
        settings,
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw_meta.load_audit",
    )
    rows_read, rows_loaded, rows_quarantined = (int(value) for value in audit[0])
    assert rows_read == rows_loaded + rows_quarantined
    assert rows_loaded > 10_000
    assert rows_quarantined > 0  # the generator's dirty share is on by default
    raw_total = 0
    for table in raw_tables().values():
        raw_total += int(_query(settings, f"select count(*) from {table.relation}")[0][0])
    assert raw_total == rows_loaded

    from orchestration.pipeline import run_pipeline

    result = run_pipeline(settings, exports)
    assert result.success, result.failed_blocking_checks
    assert not [asset.asset_key for asset in result.assets if asset.status == "failed"]
    raw_assets = [asset for asset in result.assets if asset.group == "raw"]
    assert len(raw_assets) == len(raw_tables())
    assert all(asset.status == "materialized" for asset in result.assets)
    assert result.totals().get("checks passed", 0) > 100
    built = {
        name
        for (name,) in _query(
            settings,
            "select table_name from information_schema.tables where table_schema = 'staging'",
        )
    }
    assert {f"stg_{table.source}__" for table in raw_tables().values()} <= {
        name[: name.index("__") + 2] for name in built
    }
    assert len(built) >= len(raw_tables())

    # Staging deduplicates: keys are unique even though raw has duplicate rows.
    orders = _query(
        settings,
        "select count(*), count(distinct order_id) from staging.stg_commerce__orders",
    )[0]
    assert orders[0] == orders[1] > 0

    # Loading the same exports again changes nothing.
    count_sql = "select count(*) from raw_commerce.orders"
    before = int(_query(settings, count_sql)[0][0])
    assert main(["load", str(exports), "--target", settings.target]) == 0
    assert int(_query(settings, count_sql)[0][0]) == before


def test_docs_site_describes_every_staging_model(
    duckdb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_environment_at(duckdb_settings, monkeypatch, tmp_path)
    exports = tmp_path / "exports"
    assert main(["generate", "--customers", "100", "--out", str(exports)]) == 0
    assert main(["load", str(exports)]) == 0
    assert main(["run", "--exports", str(exports)]) == 0

    assert main(["docs"]) == 0

    target = tmp_path / "dbt_target"
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {node.split(".")[-1] for node in catalog["nodes"]}
    staging = {f"stg_{key.replace('.', '__')}" for key in raw_tables()}
    # Staging names pluralize the entity; every source table has one.
    assert len([name for name in documented if name.startswith("stg_")]) >= len(staging)
    manifest = json.loads((target / "manifest.json").read_text())
    lineage = manifest["parent_map"]["model.customer_intelligence.stg_commerce__orders"]
    assert "source.customer_intelligence.commerce.orders" in lineage
