"""``warehouse.dbt.reuse_partial_parse``: a dbt artifact folder without a partial parse starts
from the pipeline's, never over its own; and dbt takes the copied state (no full parse)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.built import BuiltWarehouse
from warehouse.dbt import PARTIAL_PARSE_FILE, pipeline_target_path, reuse_partial_parse


@pytest.fixture
def artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp_path / "target"))
    return tmp_path / "target"


def test_the_pipeline_s_state_seeds_a_folder_without_one(artifacts: Path) -> None:
    assert pipeline_target_path() == artifacts / "dagster"
    assert not reuse_partial_parse(artifacts)  # the pipeline has kept nothing yet
    (artifacts / "dagster").mkdir(parents=True)
    (artifacts / "dagster" / PARTIAL_PARSE_FILE).write_bytes(b"pipeline state")

    assert reuse_partial_parse(artifacts)
    assert (artifacts / PARTIAL_PARSE_FILE).read_bytes() == b"pipeline state"
    assert sorted(path.name for path in artifacts.iterdir()) == ["dagster", PARTIAL_PARSE_FILE]


def test_a_folder_s_own_state_is_kept(artifacts: Path) -> None:
    (artifacts / "dagster").mkdir(parents=True)
    (artifacts / "dagster" / PARTIAL_PARSE_FILE).write_bytes(b"pipeline state")
    (artifacts / PARTIAL_PARSE_FILE).write_bytes(b"own state")
    assert not reuse_partial_parse(artifacts)
    assert (artifacts / PARTIAL_PARSE_FILE).read_bytes() == b"own state"
    # The pipeline's own folder is never copied onto itself.
    assert not reuse_partial_parse(artifacts / "dagster")


def test_without_the_variable_the_pipeline_folder_is_the_manifest_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.manifest import MANIFEST_DIR

    monkeypatch.delenv("CIW_DBT_TARGET_PATH", raising=False)
    assert pipeline_target_path() == MANIFEST_DIR


FULL_PARSE = "Unable to do partial parsing"


@pytest.mark.slow
def test_a_command_after_the_pipeline_parses_only_what_changed(
    built_duckdb: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the built warehouse, a dbt command in a folder of its own takes the pipeline's state:
    dbt parses partially (a fresh folder alone would parse in full)."""
    from warehouse.dbt import run_dbt

    built_duckdb.apply_env(monkeypatch)
    folder = tmp_path / "engineer"
    result = run_dbt(
        ["ls", "--select", "stg_commerce__orders"],
        built_duckdb.settings,
        target_path=folder,
        echo=False,
    )
    assert result.target_path == folder
    log = (folder / "logs" / "dbt.log").read_text()
    assert "Partial parsing enabled" in log and FULL_PARSE not in log
