"""The writeback asset: after the marts it reads, pushing through the warehouse resource,
its counts in the metadata; without credentials it sends nothing, bad ones fail at once."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.crm import CRM_WRITEBACK_KEY, build_crm_defs, salesforce_writeback
from orchestration.dbt import model_key
from orchestration.resources import WarehouseResource
from tests.crm.conftest import make_accounts, make_leads, seed_org, write_marts
from tests.crm.salesforce_standin import CLIENT_ID, CLIENT_SECRET, SalesforceStandIn
from warehouse.settings import Settings

NODE = "crm__salesforce_writeback"


def metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    found = result.asset_materializations_for_node(NODE)[0].metadata
    return {name: value.value for name, value in found.items()}


@pytest.fixture
def resources(duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    for name in ("SALESFORCE_TOKEN_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    leads, accounts = make_leads(8), make_accounts(3)
    write_marts(duckdb_settings, leads, accounts)
    return {"warehouse": WarehouseResource.from_settings(duckdb_settings)}


def connect(monkeypatch: pytest.MonkeyPatch, standin: SalesforceStandIn, secret: str) -> None:
    monkeypatch.setenv("SALESFORCE_TOKEN_URL", standin.token_url)
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", secret)


def test_the_writeback_comes_after_the_marts_it_reads() -> None:
    defs = dg.Definitions.merge(
        build_crm_defs(), dg.Definitions(resources={"warehouse": WarehouseResource()})
    )

    spec = defs.resolve_assets_def(CRM_WRITEBACK_KEY).specs_by_key[CRM_WRITEBACK_KEY]

    assert {dep.asset_key for dep in spec.deps} == {
        model_key("lead_scores"),
        model_key("account_risk_scores"),
        model_key("account_health"),
    }
    assert spec.group_name == "crm"


def test_asset_pushes_once_and_records_counts(
    resources: dict[str, object],
    salesforce: SalesforceStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect(monkeypatch, salesforce, CLIENT_SECRET)
    seed_org(salesforce, make_leads(8), make_accounts(3))

    first = metadata(dg.materialize([salesforce_writeback], resources=resources))
    second = metadata(dg.materialize([salesforce_writeback], resources=resources))

    assert first["written"] == {"Lead": 8, "Account": 3, "Task": 3}
    assert first["field_values"] == 22 and first["tasks"] == 3 and first["requests"] == 4
    assert "| Lead | LEAD0000001 | Lead_Score__c |" in str(first["diff"])
    assert second["written"] == {} and second["unchanged"] == 22 and second["requests"] == 0
    assert len(salesforce.org.tasks()) == 3


def test_without_credentials_the_asset_sends_nothing(
    resources: dict[str, object], salesforce: SalesforceStandIn
) -> None:
    found = metadata(dg.materialize([salesforce_writeback], resources=resources))

    assert found["configured"] is False and found["requests"] == 0
    assert str(found["summary"]).startswith("no CRM credentials")
    assert salesforce.calls == []


def test_bad_credentials_fail_the_asset_without_retries(
    resources: dict[str, object],
    salesforce: SalesforceStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect(monkeypatch, salesforce, "not-the-secret")

    result = dg.materialize([salesforce_writeback], resources=resources, raise_on_error=False)

    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.error is not None and "invalid_client" in failure.error.message
    assert "not-the-secret" not in failure.error.message
    assert [call.route for call in salesforce.calls] == ["token"]
