"""``ciw crm push``: a readable diff when dry, one line without credentials or on an error,
the push and its counts otherwise; the secret never printed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ciw.cli import cli
from tests.crm.conftest import make_accounts, make_leads, seed_org, write_marts
from tests.crm.salesforce_standin import CLIENT_ID, CLIENT_SECRET, Fault, SalesforceStandIn
from warehouse.settings import Settings

CREDENTIALS = ("SALESFORCE_TOKEN_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET")


@pytest.fixture
def env(cli_duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("COLUMNS", "160")
    for name in (*CREDENTIALS, "SALESFORCE_INSTANCE_URL", "CRM_BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)
    write_marts(cli_duckdb_settings, make_leads(4), make_accounts(3))
    return cli_duckdb_settings


def connect(monkeypatch: pytest.MonkeyPatch, standin: SalesforceStandIn) -> None:
    monkeypatch.setenv("SALESFORCE_TOKEN_URL", standin.token_url)
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", CLIENT_SECRET)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["crm", "push", *args])
    return result.exit_code, result.output


def test_dry_run_shows_the_diff_as_a_table_without_credentials(env: Settings) -> None:
    code, output = invoke("--dry-run")

    assert code == 0, output
    assert "(dry run)" in output
    assert "LEAD0000004" in output and "Lead_Score__c" in output and "Critical" in output
    assert "Churn_Risk_Level__c" in output
    assert "Follow up: critical lead (score 85)" in output
    assert "would send 14 field values and 2 tasks on 9 records" in output


def test_dry_run_limits_the_table(env: Settings) -> None:
    code, output = invoke("--dry-run", "--limit", "3")

    assert code == 0, output
    assert "... and 13 more rows (--limit 0 shows all)" in output


def test_without_credentials_it_says_so_in_one_line(env: Settings) -> None:
    code, output = invoke()

    assert code == 0, output
    assert output.strip().splitlines()[-1] == (
        "no CRM credentials (SALESFORCE_TOKEN_URL, SALESFORCE_CLIENT_ID,"
        " SALESFORCE_CLIENT_SECRET): nothing pushed"
    )


def test_incomplete_credentials_are_one_error_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", CLIENT_ID)

    code, output = invoke()

    assert code == 1
    assert output.strip() == (
        "ciw: error: Salesforce credentials are incomplete: set SALESFORCE_TOKEN_URL,"
        " SALESFORCE_CLIENT_SECRET"
    )


def test_push_then_rerun(
    env: Settings, salesforce: SalesforceStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(monkeypatch, salesforce)
    seed_org(salesforce, make_leads(3), make_accounts(3))  # the fourth lead is not in the CRM

    code, output = invoke()
    again_code, again = invoke()

    assert code == 0, output
    assert "written: 3 Lead, 3 Account, 1 Task in 4 requests" in output
    assert "refused: 1 Lead, 1 Task (logged; sent again next run)" in output
    assert "refused: Lead LEAD0000004: REQUIRED_FIELD_MISSING" in output
    assert "Foreign key external ID: LEAD0000004 not found" in output  # its task
    assert again_code == 0, again
    assert "sent 2 field values and 1 tasks on 2 records" in again  # only the refused ones
    assert CLIENT_SECRET not in output + again


def test_the_crm_staying_down_is_one_error_line(
    env: Settings, salesforce: SalesforceStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(monkeypatch, salesforce)
    salesforce.script("token", *[Fault(429, headers={"Retry-After": "0"})] * 5)

    code, output = invoke()

    assert code == 1
    last = output.strip().splitlines()[-1]
    assert last == "ciw: error: Salesforce token request failed after 5 attempts: 429 scripted"
