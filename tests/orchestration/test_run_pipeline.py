"""The whole asset graph in process, read from the session's built DuckDB warehouse."""

from pathlib import Path

import pytest

from tests.built import BuiltWarehouse

pytestmark = pytest.mark.slow


def test_runs_land_in_the_instance_and_dbt_keeps_its_artifacts_apart(
    built_duckdb: BuiltWarehouse,
) -> None:
    home = Path(built_duckdb.env["DAGSTER_HOME"])
    target = Path(built_duckdb.env["CIW_DBT_TARGET_PATH"])
    # Runs land in the DAGSTER_HOME instance, so the UI shows them afterwards.
    assert (home / "dagster.yaml").exists()
    # dagster-dbt keeps each invocation's artifacts in a folder of its own under dagster/.
    assert any(
        folder.joinpath("run_results.json").exists() for folder in (target / "dagster").iterdir()
    )
    checks = [check for asset in built_duckdb.result.assets for check in asset.checks]
    assert any(check.blocking and check.outcome == "passed" for check in checks)


def test_the_weekly_report_reads_the_marts_the_pipeline_built(
    built_duckdb: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from orchestration.definitions import build_definitions

    built_duckdb.apply_env(monkeypatch)
    report_job = build_definitions(built_duckdb.settings).resolve_job_def("weekly_executive_report")
    config = {"reports_dir": str(tmp_path), "week_ending": "2026-10-26"}
    report_run = report_job.execute_in_process(
        run_config={"ops": {"executive_report": {"config": config}}}
    )
    assert report_run.success
    written = tmp_path / "executive" / "2026-10-26" / "executive_report.md"
    assert written.read_text().startswith("# Executive report, week ending 2026-10-26")
    assert (written.parent / "pipeline_health.png").exists()
    [materialization] = report_run.get_asset_materialization_events()
    assert str(materialization.materialization.metadata["path"].value) == str(written)
