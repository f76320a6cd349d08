"""Isolation for orchestration tests: dbt artifacts and DAGSTER_HOME in temp folders."""

from pathlib import Path

import pytest


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("CIW_DAGSTER_STORAGE", raising=False)
    return tmp_path
