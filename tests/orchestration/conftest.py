"""Isolation for orchestration tests: dbt artifacts and DAGSTER_HOME in temp folders, a DuckDB
warehouse and an ephemeral Dagster instance of their own."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from warehouse.settings import Settings


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("CIW_DAGSTER_STORAGE", raising=False)
    return tmp_path


@pytest.fixture
def settings(isolated: Path) -> Settings:
    return Settings(target="duckdb", duckdb_path=isolated / "warehouse.duckdb")


@pytest.fixture
def instance(isolated: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral
