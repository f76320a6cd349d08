"""``ciw notify`` and ``ciw feedback``: one readable line on errors, counts on success."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ciw.notify_cli import feedback_command, notify_command
from tests.notifier.conftest import make_alert, write_alerts
from warehouse.settings import Settings


@pytest.fixture
def env(cli_duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_API_URL", "CIW_ARTIFACTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return cli_duckdb_settings


def test_notify_dry_run_prints_the_messages(env: Settings) -> None:
    write_alerts(env, [make_alert(1, severity="critical")])

    result = CliRunner().invoke(notify_command, ["--dry-run"])

    assert result.exit_code == 0, result.output
    assert "--- immediate to U0REP00001" in result.output
    assert "🚨 High-Risk Deal Alert" in result.output
    assert "would send 1 messages" in result.output


def test_notify_without_credentials_says_where_the_outbox_is(env: Settings) -> None:
    write_alerts(env, [make_alert(1)])

    result = CliRunner().invoke(notify_command, [])

    assert result.exit_code == 0, result.output
    assert "no Slack credentials: messages are in" in result.output
    assert list((env.artifacts_dir / "outbox").glob("slack-*.jsonl"))


def test_notify_before_the_mart_exists_is_one_line(env: Settings) -> None:
    result = CliRunner().invoke(notify_command, [])

    assert result.exit_code == 1
    assert (
        result.output.strip().splitlines()[-1].startswith("ciw: error: marts.alerts does not exist")
    )


def test_feedback_records_and_refuses_unknown_alerts(env: Settings, tmp_path: Path) -> None:
    alert = make_alert(1)
    write_alerts(env, [alert])
    ratings = ["--accuracy", "accurate", "--relevance", "relevant"]
    ratings += ["--effectiveness", "effective", "--priority", "4"]

    recorded = CliRunner().invoke(feedback_command, [alert.alert_id, *ratings, "--by", "kim"])
    unknown = CliRunner().invoke(feedback_command, ["nope", *ratings])
    incomplete = CliRunner().invoke(feedback_command, [alert.alert_id, "--accuracy", "accurate"])

    assert recorded.exit_code == 0 and f"on alert {alert.alert_id}" in recorded.output
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "ciw: error: unknown alert id 'nope' (not in marts.alerts)"
    assert incomplete.exit_code == 1 and "missing --relevance" in incomplete.output


def test_feedback_file_import(env: Settings, tmp_path: Path) -> None:
    alert = make_alert(1)
    write_alerts(env, [alert])
    path = tmp_path / "ratings.csv"
    path.write_text(
        "alert_id,alert_accuracy,alert_relevance,action_effectiveness,priority_rating\n"
        f"{alert.alert_id},accurate,relevant,effective,2\n"
    )

    result = CliRunner().invoke(feedback_command, ["--file", str(path)])

    assert result.exit_code == 0, result.output
    assert "imported 1 feedback rows" in result.output
