"""``ciw ops check`` judges the thresholds on a real DuckDB warehouse and reports once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ciw.cli import cli
from tests.ml.monitoring.quality_rows import write_quality_row
from warehouse.settings import Settings


@pytest.fixture
def environment(
    cli_duckdb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "CIW_DAGSTER_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    # No runs in this Dagster home: a day-long grace keeps the clock out of the test.
    monkeypatch.setenv("CIW_OPS_PIPELINE_DELAY_HOURS", "24")
    write_quality_row(
        cli_duckdb_settings, "training.enrollments", datetime.now(UTC).date(), 99.0, 91.5
    )
    return cli_duckdb_settings


def test_check_reports_a_breach_once(environment: Settings) -> None:
    runner = CliRunner()
    dry = runner.invoke(cli, ["ops", "check", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "training.enrollments" in dry.output and "validity 91.5%" in dry.output
    assert "[dry run]" in dry.output
    assert not (environment.artifacts_dir / "outbox").exists()

    first = runner.invoke(cli, ["ops", "check"])
    assert first.exit_code == 0, first.output
    assert "1 threshold(s) breached, 1 newly reported" in first.output
    outbox = next((environment.artifacts_dir / "outbox").glob("ops-*.jsonl"))
    assert "validity 91.5%" in outbox.read_text()

    second = runner.invoke(cli, ["ops", "check"])
    assert "1 threshold(s) breached, 0 newly reported" in second.output
    assert "[reported before]" in second.output
    assert len(outbox.read_text().splitlines()) == 1


def test_a_bad_threshold_is_one_clear_line(
    environment: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_OPS_API_LATENCY_MS", "fast")
    result = CliRunner().invoke(cli, ["ops", "check"])
    assert result.exit_code != 0
    assert "CIW_OPS_API_LATENCY_MS must be a float, got 'fast'" in result.output
    assert "Traceback" not in result.output
