"""The whole asset graph, in process, on small generated data on DuckDB."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.launch import run_pipeline
from sources.contract import raw_tables
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


def test_run_pipeline_materializes_every_asset_and_passes_blocking_checks(
    duckdb_settings: Settings, isolated: Path
) -> None:
    from sources.generate import GeneratorConfig, generate

    exports = isolated / "exports"
    generate(exports, GeneratorConfig(customers=300, seed=7, end_date=date(2026, 10, 31)))

    result = run_pipeline(duckdb_settings, exports, as_of=date(2026, 10, 1))

    assert result.success, result.totals()
    assert {asset.status for asset in result.assets} == {"materialized"}
    raw = {asset.asset_key for asset in result.assets if asset.group == "raw"}
    assert raw == {f"raw/{table.source}/{table.name}" for table in raw_tables().values()}
    assert any(asset.group == "staging" for asset in result.assets)
    assert result.failed_blocking_checks == []
    checks = [check for asset in result.assets for check in asset.checks]
    assert any(check.blocking and check.outcome == "passed" for check in checks)
    assert result.totals()["materialized"] == len(result.assets)
    # Runs land in the DAGSTER_HOME instance, so the UI shows them afterwards.
    assert (isolated / "dagster_home" / "dagster.yaml").exists()
    assert not (isolated / "dbt_target").joinpath("run_results.json").exists()
    assert any((isolated / "dbt_target" / "dagster").iterdir())

    # The weekly executive report reads the marts the pipeline just built.
    from orchestration.definitions import build_definitions

    report_job = build_definitions(duckdb_settings).resolve_job_def("weekly_executive_report")
    reports_dir = isolated / "reports"
    config = {"reports_dir": str(reports_dir), "week_ending": "2026-10-05"}
    report_run = report_job.execute_in_process(
        run_config={"ops": {"executive_report": {"config": config}}}
    )
    assert report_run.success
    written = reports_dir / "executive" / "2026-10-05" / "executive_report.md"
    assert written.read_text().startswith("# Executive report, week ending 2026-10-05")
    assert (written.parent / "pipeline_health.png").exists()
    [materialization] = report_run.get_asset_materialization_events()
    assert str(materialization.materialization.metadata["path"].value) == str(written)
