"""The notifier asset delivers through the warehouse resource and records its counts; the
alert definitions load beside the dbt assets."""

from __future__ import annotations

from collections import Counter

import dagster as dg
import pytest

from orchestration.alerts import NOTIFICATIONS_KEY, build_alert_defs, slack_notifications
from orchestration.dbt import model_key
from orchestration.resources import WarehouseResource
from orchestration.schedules import alert_digest_schedule
from tests.notifier.conftest import make_alert, write_alerts
from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn
from warehouse.settings import Settings


def test_definitions_put_the_notifier_after_the_alerts_mart() -> None:
    defs = dg.Definitions.merge(
        build_alert_defs(), dg.Definitions(resources={"warehouse": WarehouseResource()})
    )

    spec = defs.resolve_assets_def(NOTIFICATIONS_KEY).specs_by_key[NOTIFICATIONS_KEY]

    assert [dep.asset_key for dep in spec.deps] == [model_key("alerts")]
    assert defs.resolve_job_def("alert_digest").asset_layer.asset_graph.get(NOTIFICATIONS_KEY)
    assert alert_digest_schedule.cron_schedule == "0 9 * * *"
    assert alert_digest_schedule.job_name == "alert_digest"


def test_asset_delivers_once_and_records_counts(
    duckdb_settings: Settings, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    alerts = [make_alert(1, severity="critical"), make_alert(2, recipient="#sales-leadership")]
    write_alerts(duckdb_settings, alerts)
    resources = {"warehouse": WarehouseResource.from_settings(duckdb_settings)}

    first = dg.materialize([slack_notifications], resources=resources)
    second = dg.materialize([slack_notifications], resources=resources)

    metadata = first.asset_materializations_for_node("alerts__slack_notifications")[0].metadata
    assert metadata["immediate_messages"].value == 1
    assert metadata["digest_messages"].value == 1
    again = second.asset_materializations_for_node("alerts__slack_notifications")[0].metadata
    assert again["messages"].value == 0 and again["already_delivered"].value == 2
    assert Counter(slack.alert_ids_received()) == {alert.alert_id: 1 for alert in alerts}


def test_bad_token_fails_the_asset_without_retries(
    duckdb_settings: Settings, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-valid")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    write_alerts(duckdb_settings, [make_alert(1, severity="critical")])
    resources = {"warehouse": WarehouseResource.from_settings(duckdb_settings)}

    result = dg.materialize([slack_notifications], resources=resources, raise_on_error=False)

    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and "invalid_auth" in failure.message
    assert slack.messages == []
