"""The environment of an end-to-end ``ciw`` test: everything it writes under ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

import pytest


def isolated_run_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, horizon_days: int) -> Path:
    """Point ``ciw load`` and ``ciw run`` at a DuckDB warehouse, a dbt target and a Dagster home
    under ``tmp_path``, with the customer churn and CLV horizons at ``horizon_days``; returns
    the warehouse's path."""
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("CIW_CHURN_HORIZON_DAYS", str(horizon_days))
    monkeypatch.setenv("CIW_CLV_HORIZON_DAYS", str(horizon_days))
    monkeypatch.delenv("CIW_TARGET", raising=False)
    (tmp_path / "dagster").mkdir()
    return warehouse
