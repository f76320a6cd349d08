"""``ciw automations list`` and ``run [--dry-run]``: the rules table, what would run, counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ciw.automations_cli import automations_group
from ciw.cli import main
from warehouse import adapter_for, read_frame
from warehouse.settings import Settings


@pytest.fixture
def env(cli_duckdb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CIW_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "CIW_MARKETING_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    with adapter_for(cli_duckdb_settings).session() as session:
        session.ensure_schema("marts")
        session.execute(
            "create table marts.customer_profiles as select 7 as customer_id, "
            "1500.0 as lifetime_revenue, 'champions' as rfm_segment"
        )
    return cli_duckdb_settings


def test_list_shows_every_rule_with_its_state() -> None:
    result = CliRunner().invoke(automations_group, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["rule_id", "on", "prio"]
    assert any(line.startswith("ltv_vip_segment") and " yes " in line for line in lines)
    assert any(line.startswith("churn_vip_alert") and " no " in line for line in lines)


def test_run_dry_run_then_run_then_skip(env: Settings) -> None:
    dry = CliRunner().invoke(automations_group, ["run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "ltv_vip_segment: update_segment for customer 7 (lifetime revenue 1500.00" in dry.output
    assert "would run 1 actions" in dry.output

    assert main(["automations", "run"]) == 0
    segments = read_frame(env, "select customer_id, segment from ops.customer_segments")
    assert segments.to_dict("records") == [{"customer_id": 7, "segment": "vip"}]

    again = CliRunner().invoke(automations_group, ["run"])
    assert "0 executed, 0 failed, 1 skipped as run in the last 24 h" in again.output
