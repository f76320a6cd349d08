"""Ops messages for failed runs go to the on-call channel through slack-sdk, or to the outbox."""

from __future__ import annotations

import json

import pytest

from notifier.config import NotifierError, SlackConfig
from notifier.ops import build_ops_message, send_ops_message
from tests.notifier.conftest import bot_config
from tests.notifier.slack_standin import SlackStandIn
from warehouse.settings import Settings


def test_ops_message_reaches_the_ops_channel(
    slack: SlackStandIn, duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_OPS_CHANNEL", "#data-oncall")
    text = build_ops_message("daily_pipeline", "run-42", ["dbt_models"], "boom")
    where = send_ops_message(duckdb_settings, text, key="run-42", config=bot_config(slack))
    assert "#data-oncall" in where
    assert [message["channel"] for message in slack.messages] == ["#data-oncall"]
    assert slack.messages[-1]["text"] == text
    assert "run-42" in slack.messages[-1]["text"]


def test_ops_message_without_credentials_goes_to_the_outbox(duckdb_settings: Settings) -> None:
    where = send_ops_message(duckdb_settings, "run failed", key="run-7", config=SlackConfig())
    outbox = next((duckdb_settings.artifacts_dir / "outbox").glob("ops-*.jsonl"))
    assert str(outbox) in where
    record = json.loads(outbox.read_text().splitlines()[-1])
    assert record["text"] == "run failed"


def test_ops_message_with_a_bad_token_is_one_clear_error(
    slack: SlackStandIn, duckdb_settings: Settings
) -> None:
    config = bot_config(slack, bot_token="xoxb-wrong")
    with pytest.raises(NotifierError) as raised:
        send_ops_message(duckdb_settings, "x", key="run-1", config=config)
    assert "xoxb-wrong" not in str(raised.value)
    assert "SLACK_BOT_TOKEN" in str(raised.value)


def test_ops_message_whose_webhook_answer_is_lost_is_not_resent(
    slack: SlackStandIn, duckdb_settings: Settings
) -> None:
    from tests.notifier.conftest import webhook_config
    from tests.notifier.standin_faults import lost_reply

    slack.script("webhook", lost_reply(502, html=True))

    where = send_ops_message(duckdb_settings, "x", key="run-2", config=webhook_config(slack))

    assert "may have arrived" in where
    assert len(slack.messages) == 1 and len(slack.calls) == 1


def test_ops_message_names_job_steps_first_error_line_and_run_link() -> None:
    message = build_ops_message(
        job_name="daily_pipeline",
        run_id="abc123",
        failed_steps=["load_crm", "dbt_models"],
        error="dbt build failed\nTraceback (most recent call last): ...",
        ui_url="http://ui.example:3000/",
    )
    assert "`daily_pipeline` failed" in message
    assert "failed steps: load_crm, dbt_models" in message
    assert "error: dbt build failed" in message
    assert "Traceback" not in message
    assert message.endswith("run: http://ui.example:3000/runs/abc123")


def test_ops_message_without_steps_or_error() -> None:
    message = build_ops_message("weekly_executive_report", "r1", [], None)
    assert "no step recorded" in message
    assert "error: no message" in message
