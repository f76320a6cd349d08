"""End to end through the command line: generate, load, dbt build, on DuckDB and on Postgres."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ciw.cli import main
from ciw.dbt import run_dbt
from ml.contracts import MODEL_SPECS
from sources.contract import raw_tables
from tests.alerting.slack_standin import VALID_TOKEN, SlackStandIn
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


def _query(settings: Settings, sql: str) -> list[tuple]:
    if settings.target == "duckdb":
        from warehouse.connections import connect_duckdb

        with connect_duckdb(settings) as connection:
            return connection.execute(sql).fetchall()
    from warehouse.connections import connect_postgres

    with connect_postgres(settings) as connection:
        return connection.execute(sql).fetchall()


def _point_environment_at(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    for key, value in settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp / "dbt_target"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))


@pytest.fixture
def slack_standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStandIn]:
    """Slack's Web API, stood in by a local server that slack-sdk reaches through its base_url."""
    server = SlackStandIn().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", server.api_url)
    monkeypatch.setenv("SLACK_DEFAULT_CHANNEL", "#customer-alerts")
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    try:
        yield server
    finally:
        server.stop()


def test_generate_load_build(
    warehouse_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    slack_standin: SlackStandIn,
) -> None:
    """The daily pipeline from exports to Slack: every layer, every model, alerts exactly once."""
    settings = warehouse_settings
    _point_environment_at(settings, monkeypatch, tmp_path)
    exports = tmp_path / "exports"

    generate = ["generate", "--customers", "400", "--seed", "7", "--end-date", "2026-10-31"]
    assert main([*generate, "--out", str(exports)]) == 0
    assert main(["load", str(exports), "--target", settings.target]) == 0

    # Every batch balances and every declared raw table exists (absent sources too).
    audit = _query(
        settings,
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw_meta.load_audit",
    )
    rows_read, rows_loaded, rows_quarantined = (int(value) for value in audit[0])
    assert rows_read == rows_loaded + rows_quarantined
    assert rows_loaded > 10_000
    assert rows_quarantined > 0  # the generator's dirty share is on by default
    raw_total = 0
    for table in raw_tables().values():
        raw_total += int(_query(settings, f"select count(*) from {table.relation}")[0][0])
    assert raw_total == rows_loaded

    from orchestration.pipeline import run_pipeline

    result = run_pipeline(settings, exports)
    assert result.success, result.failed_blocking_checks
    assert not [asset.asset_key for asset in result.assets if asset.status == "failed"]
    raw_assets = [asset for asset in result.assets if asset.group == "raw"]
    assert len(raw_assets) == len(raw_tables())
    assert all(asset.status == "materialized" for asset in result.assets)
    assert result.totals().get("checks passed", 0) > 100
    built = {
        name
        for (name,) in _query(
            settings,
            "select table_name from information_schema.tables where table_schema = 'staging'",
        )
    }
    assert {f"stg_{table.source}__" for table in raw_tables().values()} <= {
        name[: name.index("__") + 2] for name in built
    }
    assert len(built) >= len(raw_tables())

    # Staging deduplicates: keys are unique even though raw has duplicate rows.
    orders = _query(
        settings,
        "select count(*), count(distinct order_id) from staging.stg_commerce__orders",
    )[0]
    assert orders[0] == orders[1] > 0

    # Every model trained and has a champion; every champion scored; the marts read the scores.
    champions = dict(
        _query(
            settings, "select model_name, version from ml.model_registry where status = 'champion'"
        )
    )
    # A model without a champion lost to its rule on this small generated data (account churn
    # against the health score, see docs/models.md) and its rule serves instead.
    scored = dict(
        _query(
            settings,
            "select model_name, max(model_version) from ml.predictions group by model_name",
        )
    )
    assert set(scored) == set(MODEL_SPECS)
    for name in set(MODEL_SPECS) - set(champions):
        assert scored[name].startswith("rule:"), name
    assert {"customer_churn", "customer_clv", "customer_segments"} <= set(champions)
    risk = _query(
        settings,
        "select count(*), count(churn_probability), count(predicted_revenue), count(segment_name) "
        "from marts.customer_risk_scores",
    )[0]
    assert risk[0] > 0 and risk[0] == risk[1] == risk[2] == risk[3]

    # Alerts went to the stand-in Slack exactly once each; within_week ones wait for next
    # week's digest (docs/alerts.md, urgency tiers).
    alerts = {
        alert_id
        for (alert_id,) in _query(
            settings, "select alert_id from marts.alerts where urgency <> 'within_week'"
        )
    }
    assert alerts
    # Exactly once per (alert, destination): a copied manager gets their own message.
    pairs = [
        (message["channel"], alert_id)
        for message in slack_standin.messages
        for alert_id in ((message.get("metadata") or {}).get("event_payload") or {}).get(
            "alert_ids", []
        )
    ]
    assert len(pairs) == len(set(pairs))
    assert {alert_id for _, alert_id in pairs} == alerts

    # Loading the same exports again changes nothing; a second run delivers nothing new.
    count_sql = "select count(*) from raw_commerce.orders"
    before = int(_query(settings, count_sql)[0][0])
    assert main(["load", str(exports), "--target", settings.target]) == 0
    assert int(_query(settings, count_sql)[0][0]) == before
    # A second run sends nothing: the whole pipeline again on DuckDB; on Postgres (slower) the
    # delivery step again, ``ciw notify``, which reads the same alerts and the delivery log.
    messages = len(slack_standin.messages)
    if settings.target == "duckdb":
        assert run_pipeline(settings, exports).success
    else:
        assert main(["notify", "--target", settings.target]) == 0
    assert len(slack_standin.messages) == messages


def test_docs_site_describes_every_staging_model(
    duckdb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_environment_at(duckdb_settings, monkeypatch, tmp_path)
    exports = tmp_path / "exports"
    assert main(["generate", "--customers", "100", "--out", str(exports)]) == 0
    assert main(["load", str(exports)]) == 0
    run_dbt(["build"], duckdb_settings, target_path=tmp_path / "dbt_target", echo=False)

    assert main(["docs"]) == 0

    target = tmp_path / "dbt_target"
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {node.split(".")[-1] for node in catalog["nodes"]}
    staging = {f"stg_{key.replace('.', '__')}" for key in raw_tables()}
    # Staging names pluralize the entity; every source table has one.
    assert len([name for name in documented if name.startswith("stg_")]) >= len(staging)
    manifest = json.loads((target / "manifest.json").read_text())
    lineage = manifest["parent_map"]["model.customer_intelligence.stg_commerce__orders"]
    assert "source.customer_intelligence.commerce.orders" in lineage
