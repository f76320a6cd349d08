"""The writeback on marts a real daily run built (dbt, models, scores), DuckDB and PostgreSQL:
the pipeline's asset ran and, without credentials, sent nothing; a push of the real marts to
the stand-in passes every check of the org, raises one task per Critical lead and High-risk
account, and a rerun sends nothing.

The push adds ``ops.crm_writeback`` to the shared built warehouse (no other test reads it).
"""

from __future__ import annotations

from crm.push import push
from tests.built import BuiltWarehouse
from tests.crm.conftest import standin_config
from tests.crm.salesforce_standin import SalesforceStandIn


def test_the_pipeline_runs_the_writeback_and_without_credentials_it_sends_nothing(
    built_warehouse: BuiltWarehouse,
) -> None:
    statuses = {asset.asset_key: asset.status for asset in built_warehouse.result.assets}

    assert statuses["crm/salesforce_writeback"] == "materialized"
    assert (
        built_warehouse.scalar(
            "select count(*) from information_schema.tables where table_name = 'crm_writeback'"
        )
        == 0
    )


def test_real_marts_push_cleanly_and_a_rerun_sends_nothing_changes_the_warehouse(
    built_warehouse: BuiltWarehouse, salesforce: SalesforceStandIn
) -> None:
    query = built_warehouse.query
    leads = [row[0] for row in query("select lead_id from marts.lead_scores")]
    accounts = [row[0] for row in query("select account_id from marts.account_risk_scores")]
    users = {
        row[0]
        for row in query(
            "select owner_user_id from marts.lead_scores union"
            " select coalesce(csm_user_id, owner_user_id) from marts.account_health"
        )
        if row[0]
    }
    salesforce.org.seed("Lead", leads)
    salesforce.org.seed("Account", accounts)
    salesforce.org.seed("User", sorted(users))
    critical = built_warehouse.scalar(
        "select count(*) from marts.lead_scores where lead_priority = 'critical'"
    )
    risky = built_warehouse.scalar(
        "select count(*) from marts.account_risk_scores"
        " where churn_risk_band in ('high', 'critical')"
    )
    config = standin_config(salesforce)

    report = push(built_warehouse.settings, config=config)
    again = push(built_warehouse.settings, config=config)

    assert leads and accounts  # the sample has both, so the check below means something
    assert salesforce.org.problems == [] and not report.failed, report.errors
    assert report.written == {
        name: count
        for name, count in (
            ("Lead", len(leads)),
            ("Account", len(accounts)),
            ("Task", critical + risky),
        )
        if count
    }
    assert len(salesforce.org.tasks()) == critical + risky
    assert again.plan.writes == [] and again.requests == 0
