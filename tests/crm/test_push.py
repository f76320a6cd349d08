"""The writeback end to end, on DuckDB and PostgreSQL, against the Salesforce stand-in: what
reaches the org, what the log says, and that a rerun sends nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from crm.desired import task_key
from crm.push import push
from tests.crm.conftest import (
    AS_OF,
    Account,
    Lead,
    log_rows,
    make_accounts,
    make_leads,
    seed_org,
    standin_config,
    write_marts,
)
from tests.crm.salesforce_standin import CLIENT_SECRET, SalesforceStandIn
from tests.crm.standin_org import EXTERNAL_ID, TASK_KEY
from warehouse.settings import Settings


def test_first_push_writes_every_value_and_one_task_per_tasked_record(
    warehouse_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads, accounts = make_leads(12), make_accounts(6)
    write_marts(warehouse_settings, leads, accounts)
    seed_org(salesforce, leads, accounts)

    report = push(warehouse_settings, config=standin_config(salesforce))

    org = salesforce.org
    for lead in leads:
        record = org.records["Lead"][lead.lead_id]
        assert record["Lead_Score__c"] == round(lead.score)
        assert record["Priority__c"] == lead.priority.capitalize()
    for account in accounts:
        record = org.records["Account"][account.account_id]
        assert record["Churn_Risk_Score__c"] == round(account.probability, 2)
        assert record["Churn_Risk_Level__c"] == account.band.capitalize()
    critical = [lead for lead in leads if lead.priority == "critical"]
    risky = [account for account in accounts if account.band in ("high", "critical")]
    tasks = org.tasks()
    assert set(tasks) == {task_key("Lead", lead.lead_id, AS_OF) for lead in critical} | {
        task_key("Account", account.account_id, AS_OF) for account in risky
    }
    lead_task = tasks[task_key("Lead", critical[0].lead_id, AS_OF)]
    assert lead_task["WhoId"] == org.records["Lead"][critical[0].lead_id]["Id"]
    assert lead_task["OwnerId"] == org.records["User"][critical[0].owner or ""]["Id"]
    assert lead_task["ActivityDate"] == (AS_OF + timedelta(days=1)).isoformat()
    assert lead_task["Priority"] == "High"
    account_task = tasks[task_key("Account", risky[0].account_id, AS_OF)]
    assert account_task["WhatId"] == org.records["Account"][risky[0].account_id]["Id"]
    assert "Churn risk intervention" in account_task["Subject"]
    assert org.problems == []
    assert report.written == {"Lead": 12, "Account": 6, "Task": len(tasks)}
    assert report.created == {"Task": len(tasks)}
    rows = log_rows(warehouse_settings)
    assert len(rows) == 12 * 2 + 6 * 2 + len(tasks)
    assert {row["status"] for row in rows} == {"written"}
    assert all(row["crm_id"] and row["written_at"] for row in rows)


def test_requests_carry_the_token_the_key_and_at_most_the_batch_size(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads = make_leads(450)
    write_marts(duckdb_settings, leads, [])
    seed_org(salesforce, leads, [])

    push(duckdb_settings, config=standin_config(salesforce))

    writes = salesforce.write_calls()
    lead_calls = [call for call in writes if call.sobject == "Lead"]
    assert [len(call.records) for call in lead_calls] == [200, 200, 50]
    assert len(salesforce.calls) == 1 + len(writes)  # one token request
    for call in writes:
        assert call.authorization.startswith("Bearer 00DSTANDIN!") and call.status == 200
        key = TASK_KEY if call.sobject == "Task" else EXTERNAL_ID
        assert all(
            record[key] and record["attributes"]["type"] == call.sobject for record in call.records
        )
    assert sum(salesforce.org.writes.values()) == 450 + len(salesforce.org.tasks())


def test_a_rerun_sends_nothing_and_a_change_sends_only_that_field(
    warehouse_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads, accounts = make_leads(8), make_accounts(3)
    write_marts(warehouse_settings, leads, accounts)
    seed_org(salesforce, leads, accounts)
    config = standin_config(salesforce)
    push(warehouse_settings, config=config)
    calls_after_first = len(salesforce.calls)

    again = push(warehouse_settings, config=config)

    assert len(salesforce.calls) == calls_after_first  # not even a token request
    assert again.plan.writes == [] and again.plan.unchanged == 8 * 2 + 3 * 2

    changed = [replace(leads[0], score=leads[0].score + 1), *leads[1:]]  # priority unchanged
    write_marts(warehouse_settings, changed, accounts)
    third = push(warehouse_settings, config=config)

    sent = salesforce.write_calls()[-1]
    assert sent.records == [
        {
            "attributes": {"type": "Lead"},
            EXTERNAL_ID: leads[0].lead_id,
            "Lead_Score__c": round(leads[0].score) + 1,
        }
    ]
    assert third.written == {"Lead": 1}
    history = [
        (row["generation"], row["old_value"], row["new_value"], row["status"])
        for row in log_rows(warehouse_settings)
        if row["record_key"] == leads[0].lead_id and row["field"] == "Lead_Score__c"
    ]
    old = str(round(leads[0].score))
    assert history == [(1, None, old, "written"), (2, old, str(int(old) + 1), "written")]


def test_becoming_critical_raises_a_task_once_and_staying_critical_raises_none(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    lead = Lead("LEAD0000042", 50.0)
    write_marts(duckdb_settings, [lead], [])
    seed_org(salesforce, [lead], [])
    config = standin_config(salesforce)
    push(duckdb_settings, config=config)
    assert salesforce.org.tasks() == {}

    hot = replace(lead, score=90.0)
    write_marts(duckdb_settings, [hot], [])
    push(duckdb_settings, config=config)
    write_marts(duckdb_settings, [replace(lead, score=95.0)], [])  # still critical
    push(duckdb_settings, config=config)

    assert list(salesforce.org.tasks()) == [task_key("Lead", lead.lead_id, AS_OF)]


def test_refused_records_are_logged_and_only_they_are_sent_again(
    warehouse_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads, accounts = make_leads(6), [Account("ACC000001", 0.2), Account("ACC000002", 0.3)]
    write_marts(warehouse_settings, leads, accounts)
    seed_org(salesforce, leads[:-1], accounts)  # the last lead is not in the CRM yet
    salesforce.org.refuse("Account", "ACC000002", "UNABLE_TO_LOCK_ROW", "unable to obtain lock")
    config = standin_config(salesforce)

    first = push(warehouse_settings, config=config)

    assert first.failed == {"Lead": 1, "Account": 1}
    failed = {
        (row["record_key"], row["field"]): row
        for row in log_rows(warehouse_settings)
        if row["status"] == "failed"
    }
    assert set(failed) == {
        (leads[-1].lead_id, "Lead_Score__c"),
        (leads[-1].lead_id, "Priority__c"),
        ("ACC000002", "Churn_Risk_Score__c"),
        ("ACC000002", "Churn_Risk_Level__c"),
    }
    assert "REQUIRED_FIELD_MISSING" in failed[(leads[-1].lead_id, "Priority__c")]["error"]
    assert "UNABLE_TO_LOCK_ROW" in failed[("ACC000002", "Churn_Risk_Level__c")]["error"]

    salesforce.org.seed("Lead", [leads[-1].lead_id])
    second = push(warehouse_settings, config=config)

    resent = [
        record[EXTERNAL_ID] for call in salesforce.write_calls()[-2:] for record in call.records
    ]
    assert resent == [leads[-1].lead_id, "ACC000002"]
    assert second.written == {"Lead": 1, "Account": 1} and not second.failed
    retried = [row for row in log_rows(warehouse_settings) if row["record_key"] == "ACC000002"]
    assert {(row["status"], row["attempt"]) for row in retried} == {("written", 2)}


def test_without_credentials_nothing_is_read_sent_or_logged(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    write_marts(duckdb_settings, make_leads(3), [])

    report = push(duckdb_settings, config=replace(standin_config(salesforce), client_secret=""))

    assert report.summary().startswith("no CRM credentials")
    assert salesforce.calls == []
    from warehouse import adapter_for

    with adapter_for(duckdb_settings).session() as session:
        assert not session.table_exists("ops.crm_writeback")


def test_dry_run_plans_the_diff_and_sends_and_logs_nothing(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads = make_leads(4)
    write_marts(duckdb_settings, leads, make_accounts(3))

    report = push(
        duckdb_settings,
        dry_run=True,
        config=replace(standin_config(salesforce), client_id="", client_secret="", token_url=""),
    )

    assert salesforce.calls == []
    assert Counter(write.sobject for write in report.plan.writes) == {
        "Lead": 8,
        "Account": 6,
        "Task": 2,
    }
    assert report.summary().startswith("would send 14 field values and 2 tasks on 9 records")
    from warehouse import adapter_for

    with adapter_for(duckdb_settings).session() as session:
        assert not session.table_exists("ops.crm_writeback")


def test_record_ids_mode_updates_by_id_and_relates_tasks_by_id(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads = [Lead("00Q000000000001AAA", 88.0, owner="005000000000001AAA")]
    accounts = [Account("001000000000001AAA", 0.75, csm="005000000000001AAA")]
    write_marts(duckdb_settings, leads, accounts)
    salesforce.org.seed("Lead", [leads[0].lead_id], keys_are_ids=True)
    salesforce.org.seed("Account", [accounts[0].account_id], keys_are_ids=True)
    salesforce.org.seed("User", ["005000000000001AAA"], keys_are_ids=True)

    report = push(duckdb_settings, config=standin_config(salesforce, external_id_field="Id"))

    assert report.written == {"Lead": 1, "Account": 1, "Task": 2} and not report.failed
    first = salesforce.write_calls()[0]
    assert first.records[0]["id"] == leads[0].lead_id
    task = salesforce.org.tasks()[task_key("Lead", leads[0].lead_id, AS_OF)]
    assert task["WhoId"] == leads[0].lead_id and task["OwnerId"] == "005000000000001AAA"


def test_the_secret_never_reaches_the_log(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads = make_leads(4)
    write_marts(duckdb_settings, leads, [])
    seed_org(salesforce, leads, [])
    push(duckdb_settings, config=standin_config(salesforce))

    text = repr(log_rows(duckdb_settings))
    assert CLIENT_SECRET not in text and "00DSTANDIN!" not in text


def test_a_backfill_never_writes_old_scores(
    duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    leads = make_leads(4)
    write_marts(duckdb_settings, leads, [], as_of=AS_OF - timedelta(days=90))
    seed_org(salesforce, leads, [])

    report = push(duckdb_settings, config=standin_config(salesforce))

    assert report.plan.too_old == 4 and report.plan.writes == []
    assert salesforce.calls == []
    assert "4 records scored too long ago (a backfill?): left alone" in report.summary()


def test_a_refused_value_the_marts_replaced_is_superseded_and_the_new_one_sent(
    warehouse_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    lead = Lead("LEAD0000007", 30.0)
    write_marts(warehouse_settings, [lead], [])
    seed_org(salesforce, [lead], [])
    salesforce.org.refuse("Lead", lead.lead_id, "UNABLE_TO_LOCK_ROW", "unable to obtain lock")
    config = standin_config(salesforce)
    push(warehouse_settings, config=config)

    write_marts(warehouse_settings, [replace(lead, score=35.0)], [])  # still Low
    report = push(warehouse_settings, config=config)

    assert len(report.plan.superseded) == 1 and report.written == {"Lead": 1}
    rows = [
        (row["field"], row["generation"], row["status"], row["old_value"], row["new_value"])
        for row in log_rows(warehouse_settings)
    ]
    assert rows == [
        ("Lead_Score__c", 1, "superseded", None, "30"),
        ("Lead_Score__c", 2, "written", None, "35"),
        ("Priority__c", 1, "written", None, '"Low"'),
    ]
    assert salesforce.org.records["Lead"][lead.lead_id]["Lead_Score__c"] == 35
