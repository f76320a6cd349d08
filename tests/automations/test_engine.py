"""Automation runs on DuckDB and PostgreSQL against handmade marts, a stand-in Slack and a
stand-in marketing tool over loopback HTTP: rules in priority order, each execution logged
triggered -> executed / failed, 24-hour duplicate prevention, failed ones retried, campaign
webhooks signed (the stand-in checks the HMAC), messages through the notifier's log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from automations.actions import WEBHOOK_SECRET_ENV, WEBHOOK_URL_ENV, sign
from automations.engine import run_automations
from automations.log import ensure_tables
from automations.rules import Rule
from benchmarks.http_server import serve
from tests.automations.marketing_standin import PATH, SECRET, MarketingStandIn
from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn
from warehouse import adapter_for, read_frame
from warehouse.settings import Settings

T0 = datetime(2026, 11, 23, 7, 0)
RULES = [
    Rule(
        "segment_at_risk",
        True,
        10,
        "churn_risk",
        "update_segment",
        {"threshold": 0.6, "segment": "win_back"},
    ),
    Rule(
        "intent_offer",
        True,
        20,
        "product_intent",
        "trigger_campaign",
        {"min_score": 70, "campaign": "offer"},
    ),
    Rule(
        "tell_retention",
        True,
        30,
        "churn_risk",
        "send_message",
        {"threshold": 0.8, "channel": "slack", "destination": "#retention"},
    ),
    Rule(
        "switched_off",
        False,
        99,
        "churn_risk",
        "update_segment",
        {"threshold": 0.0, "segment": "all"},
    ),
]


def _write_marts(settings: Settings) -> None:
    with adapter_for(settings).session() as session:
        session.ensure_schema("marts")
        session.execute(
            "create table marts.customer_risk_scores (customer_id bigint, "
            "churn_probability double precision, churn_risk_band varchar)"
        )
        session.execute(
            "insert into marts.customer_risk_scores values "
            "(1, 0.9, 'critical'), (2, 0.65, 'high'), (3, 0.1, 'low')"
        )
        session.execute(
            "create table marts.customer_product_intent (customer_id bigint, "
            "intent_level varchar, item_key varchar, intent_score numeric(5, 1))"
        )
        session.execute(
            "insert into marts.customer_product_intent values "
            "(2, 'category', 'shoes', 85.0), (2, 'product', 'SKU-1', 72.0),"
            " (4, 'product', 'SKU-9', 50.0)"
        )


def _runs(settings: Settings) -> list[tuple[str, int, str]]:
    frame = read_frame(
        settings,
        "select rule_id, customer_id, status from ops.automation_runs "
        "order by triggered_at, rule_id, customer_id",
    )
    return [(row.rule_id, int(row.customer_id), row.status) for row in frame.itertuples()]


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", standin.api_url)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    try:
        yield standin
    finally:
        standin.stop()


def test_rules_run_once_per_day_log_each_execution_and_retry_failures(
    warehouse_settings: Settings,
    tmp_path: Path,
    slack: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = warehouse_settings
    _write_marts(settings)
    marketing = MarketingStandIn()
    with serve(marketing.app()) as base_url:
        monkeypatch.setenv(WEBHOOK_URL_ENV, base_url + PATH)
        monkeypatch.setenv(WEBHOOK_SECRET_ENV, SECRET)

        first = run_automations(settings, now=T0, rules=RULES)
        assert first.rules_run == 3, first.errors
        assert first.errors == []
        assert dict(first.executed) == {
            "tell_retention": 1,
            "intent_offer": 1,
            "segment_at_risk": 2,
        }
        assert _runs(settings) == [
            ("intent_offer", 2, "executed"),
            ("segment_at_risk", 1, "executed"),
            ("segment_at_risk", 2, "executed"),
            ("tell_retention", 1, "executed"),
        ]
        assert marketing.rejected == []
        [campaign] = marketing.accepted
        assert (campaign["campaign"], campaign["customer_id"]) == ("offer", 2)
        assert "intent 85/100 for category shoes" in campaign["reason"]
        assert campaign["idempotency_key"] == campaign["execution_id"]
        assert [message["channel"] for message in slack.messages] == ["#retention"]
        assert "customer 1" in slack.messages[0]["text"]
        segments = read_frame(settings, "select customer_id, segment from ops.customer_segments")
        assert sorted(segments["customer_id"].astype(int)) == [1, 2]

        again = run_automations(settings, now=T0 + timedelta(hours=1), rules=RULES)
        assert sum(again.executed.values()) == 0
        assert sum(again.duplicates.values()) == 4
        assert len(marketing.accepted) == 1 and len(slack.messages) == 1

        marketing.fail_next = [503]
        next_day = run_automations(settings, now=T0 + timedelta(hours=25), rules=RULES)
        assert dict(next_day.failed) == {"intent_offer": 1}
        assert next_day.errors == ["marketing tool answered 503: campaign service down"]
        failed = read_frame(
            settings,
            "select status, error_message, executed_at from ops.automation_runs "
            "where rule_id = 'intent_offer' and status = 'failed'",
        )
        assert failed["error_message"].tolist() == [
            "marketing tool answered 503: campaign service down"
        ]
        assert len(slack.messages) == 2  # a new day, a new message

        retried = run_automations(settings, now=T0 + timedelta(hours=26), rules=RULES)
        assert dict(retried.executed) == {"intent_offer": 1}
        assert len(marketing.accepted) == 2
    statuses = read_frame(
        settings, "select status, count(*) as n from ops.automation_runs group by status"
    )
    assert dict(zip(statuses["status"], statuses["n"].astype(int), strict=True)) == {
        "executed": 8,
        "failed": 1,
    }


def test_a_dry_run_lists_and_writes_nothing(duckdb_settings: Settings) -> None:
    _write_marts(duckdb_settings)
    report = run_automations(duckdb_settings, dry_run=True, now=T0, rules=RULES)
    planned = [(rule.rule_id, match.customer_id) for rule, match in report.planned]
    assert planned == [
        ("tell_retention", 1),
        ("intent_offer", 2),
        ("segment_at_risk", 1),
        ("segment_at_risk", 2),
    ]
    with adapter_for(duckdb_settings).session() as session:
        assert not session.table_exists("ops.automation_runs")


def test_without_a_webhook_url_campaigns_go_to_the_outbox(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WEBHOOK_URL_ENV, raising=False)
    _write_marts(duckdb_settings)
    campaign_only = [rule for rule in RULES if rule.action == "trigger_campaign"]
    report = run_automations(duckdb_settings, now=T0, rules=campaign_only)
    assert dict(report.executed) == {"intent_offer": 1}
    outbox = duckdb_settings.artifacts_dir / "outbox" / "campaigns-2026-11-23.jsonl"
    [line] = outbox.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["customer_id"] == 2


def test_an_unsigned_setup_fails_with_a_reason_and_no_secret_leaks(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEBHOOK_URL_ENV, "http://127.0.0.1:9/hooks")
    monkeypatch.delenv(WEBHOOK_SECRET_ENV, raising=False)
    _write_marts(duckdb_settings)
    campaign_only = [rule for rule in RULES if rule.action == "trigger_campaign"]
    report = run_automations(duckdb_settings, now=T0, rules=campaign_only)
    assert report.errors == [f"{WEBHOOK_SECRET_ENV} is not set: campaigns are only sent signed"]

    monkeypatch.setenv(WEBHOOK_SECRET_ENV, "s3cret-value")
    later = run_automations(duckdb_settings, now=T0 + timedelta(hours=1), rules=campaign_only)
    assert later.errors == ["marketing tool unreachable: ConnectError"]
    logged = read_frame(duckdb_settings, "select error_message from ops.automation_runs")
    assert not logged["error_message"].str.contains("s3cret").any()


def test_signature_is_hmac_sha256_of_version_time_and_body() -> None:
    assert sign("k", 1700000000, b"{}") == (
        "v1=" + __import__("hmac").new(b"k", b"v1:1700000000:{}", "sha256").hexdigest()
    )
    assert sign("k", 1700000000, b"{}") != sign("k", 1700000001, b"{}")


def test_a_segment_rule_joins_thousands_of_customers_at_once(
    warehouse_settings: Settings,
) -> None:
    """A first run can match most customers: one bulk write, each execution still logged,
    members refreshed rather than added twice a day later, and none lost or doubled."""
    settings = warehouse_settings
    customers = 3_000
    with adapter_for(settings).session() as session:
        session.ensure_schema("marts")
        session.execute(
            "create table marts.customer_risk_scores (customer_id bigint, "
            "churn_probability double precision, churn_risk_band varchar)"
        )
        session.append_frame(
            "marts.customer_risk_scores",
            pd.DataFrame(
                {
                    "customer_id": range(1, customers + 1),
                    "churn_probability": [0.7 if n % 3 else 0.2 for n in range(1, customers + 1)],
                    "churn_risk_band": "high",
                }
            ),
        )
        session.ensure_schema("ops")
    rule = RULES[0]  # segment_at_risk: churn >= 0.6 -> win_back
    expected = {n for n in range(1, customers + 1) if n % 3}
    # One customer is a member already, from an earlier rule.
    with adapter_for(settings).session() as session:
        ensure_tables(session)
        session.execute(
            "insert into ops.customer_segments values (1, 'win_back', 'older_rule', %s, %s)",
            (T0 - timedelta(days=3), T0 - timedelta(days=3)),
        )

    first = run_automations(settings, now=T0, rules=[rule])
    assert dict(first.executed) == {"segment_at_risk": len(expected)}
    members = read_frame(
        settings,
        "select customer_id, rule_id, added_at, updated_at from ops.customer_segments "
        "where segment = 'win_back'",
    )
    assert set(members["customer_id"].astype(int)) == expected
    assert len(members) == len(expected)
    old = members[members["customer_id"] == 1].iloc[0]
    assert old["rule_id"] == "segment_at_risk"
    assert old["added_at"] == T0 - timedelta(days=3) and old["updated_at"] == T0
    log = read_frame(
        settings,
        "select customer_id, status, detail, execution_id from ops.automation_runs",
    )
    assert set(log["customer_id"].astype(int)) == expected and len(log) == len(expected)
    assert set(log["status"]) == {"executed"}
    assert log["execution_id"].is_unique
    details = dict(zip(log["customer_id"].astype(int), log["detail"], strict=True))
    assert details[1] == "segment win_back: already a member"
    assert details[2] == "segment win_back: added"

    again = run_automations(settings, now=T0 + timedelta(hours=2), rules=[rule])
    assert sum(again.executed.values()) == 0
    assert dict(again.duplicates) == {"segment_at_risk": len(expected)}

    next_day = run_automations(settings, now=T0 + timedelta(hours=25), rules=[rule])
    assert dict(next_day.executed) == {"segment_at_risk": len(expected)}
    count = read_frame(settings, "select count(*) as n from ops.customer_segments")
    assert int(count["n"].iloc[0]) == len(expected)  # refreshed, not added twice
