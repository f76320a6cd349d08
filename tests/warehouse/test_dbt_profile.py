"""dbt's DuckDB profile sets the memory budget, threads and spill folder once per process."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from sources.generate import GeneratorConfig, generate
from sources.load.loader import load_directory
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def test_duckdb_limits_are_set_when_dbt_opens_the_file_not_per_cursor() -> None:
    """dbt-duckdb runs a profile's ``settings`` as ``SET`` on every new cursor, and DuckDB
    refuses ``SET temp_directory`` once a query has spilled there: at 1M customers every model
    after the first spill failed. ``config_options`` go to ``duckdb.connect`` once."""
    duckdb = yaml.safe_load(PROFILES.read_text())["customer_intelligence"]["outputs"]["duckdb"]
    assert "settings" not in duckdb
    options = duckdb["config_options"]
    assert set(options) == {"memory_limit", "threads", "temp_directory"}
    assert "CIW_DUCKDB_TEMP_DIR" in options["temp_directory"]
    assert "CIW_DUCKDB_MEMORY_LIMIT" in options["memory_limit"]


@pytest.mark.slow
def test_dbt_models_build_after_a_query_spilled_to_disk(
    duckdb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staging layer of 300 customers in 32 MiB: the first large model spills to the
    temp folder and the next ones still build (with the limits in ``settings``, 8 of the 25
    models failed with "Cannot switch temporary directory after the current one has been
    used"; at 64 MiB nothing spills)."""
    generate(tmp_path / "exports", GeneratorConfig(customers=300, end_date=dt.date(2026, 11, 1)))
    load_directory(tmp_path / "exports", duckdb_settings)
    monkeypatch.setenv("CIW_DUCKDB_MEMORY_LIMIT", "32MiB")
    monkeypatch.setenv("CIW_DUCKDB_THREADS", "1")
    monkeypatch.setenv("CIW_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    result = run_dbt(
        ["run", "--select", "staging", "--full-refresh", "--threads", "1"],
        duckdb_settings,
        target_path=tmp_path / "dbt_target",
        echo=False,
    )
    assert result.statuses["model"]["success"] >= 20
    assert set(result.statuses["model"]) == {"success"}
