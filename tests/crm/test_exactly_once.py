"""Exactly once under crashes: the writeback runs in a child process that the stand-in kills
with SIGKILL at one of its requests, before or after acting on it; a rerun follows.

After the rerun the org holds every value the marts want, every task was created once, and
the log has every write ``written``. The rerun sends exactly the records whose writes the
killed run had not confirmed - nothing it had confirmed, nothing twice - which is what the
claim-then-settle log promises; a batch that reached the org before the kill is sent again
and changes nothing (upserts by key).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from crm.desired import task_key
from crm.plan import Policy
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
from tests.crm.salesforce_standin import CLIENT_ID, CLIENT_SECRET, Fault, SalesforceStandIn
from tests.crm.standin_org import EXTERNAL_ID, TASK_KEY
from tests.kill_switch import KillWhen as When
from tests.kill_switch import run_child
from warehouse.settings import Settings

BATCH_SIZE = 5
#: The rerun takes over the killed run's claims at once (not after ten minutes).
RERUN_AT_ONCE = Policy(stale_after=timedelta(0))

CHILD = """
import dataclasses, sys
sys.stdin.readline()  # wait until the stand-in knows this process's pid
from crm.config import SalesforceConfig
from crm.plan import Policy
from crm.push import push
from warehouse.settings import Settings
config = dataclasses.replace(SalesforceConfig.from_env(), backoff_seconds=0.01)
push(Settings.from_env(), config=config)
sys.exit(3)  # not killed: the kill point was past the end of the run
"""

#: 12 leads (3 Critical), 6 accounts (2 High or Critical): 3 lead batches, 2 account
#: batches, 1 task batch of 5. The second lead batch reaches the org and its answer is lost
#: (a 503), so the run repeats it: the kill points include a retry.
CHILD_REQUESTS = ["token", "Lead", "Lead", "Lead", "Lead", "Account", "Account", "Task"]
KILL_POINTS = [
    (number, when)
    for number in range(1, len(CHILD_REQUESTS) + 1)
    for when in (("before", "after") if number > 1 else ("before",))
]


def data() -> tuple[list[Lead], list[Account]]:
    return make_leads(12), make_accounts(6)


def killed_run(settings: Settings, standin: SalesforceStandIn, request: int, when: When) -> int:
    env = {
        **os.environ,
        **settings.dbt_env(),
        "SALESFORCE_TOKEN_URL": standin.token_url,
        "SALESFORCE_CLIENT_ID": CLIENT_ID,
        "SALESFORCE_CLIENT_SECRET": CLIENT_SECRET,
        "CRM_BATCH_SIZE": str(BATCH_SIZE),
    }
    standin.script("write", None, Fault(503, act=True))  # the second batch's answer is lost
    return run_child(CHILD, env, standin, request, when)


def sent_records(standin: SalesforceStandIn, since: int) -> list[tuple[str, str]]:
    """(object, key) of every record in the write requests from call ``since`` on."""
    return [
        (call.sobject, record[TASK_KEY if call.sobject == "Task" else EXTERNAL_ID])
        for call in standin.calls[since:]
        if call.route == "write"
        for record in call.records
    ]


def assert_org_holds_the_marts(
    standin: SalesforceStandIn, leads: list[Lead], accounts: list[Account]
) -> None:
    org = standin.org
    for lead in leads:
        record = org.records["Lead"][lead.lead_id]
        assert (record["Lead_Score__c"], record["Priority__c"]) == (
            round(lead.score),
            lead.priority.capitalize(),
        )
    for account in accounts:
        record = org.records["Account"][account.account_id]
        assert record["Churn_Risk_Level__c"] == account.band.capitalize()
    expected_tasks = {
        task_key("Lead", lead.lead_id, AS_OF) for lead in leads if lead.priority == "critical"
    } | {
        task_key("Account", account.account_id, AS_OF)
        for account in accounts
        if account.band in ("high", "critical")
    }
    assert set(org.tasks()) == expected_tasks
    created_tasks = {
        key: count for (sobject, key), count in org.created.items() if sobject == "Task"
    }
    assert created_tasks == dict.fromkeys(expected_tasks, 1)  # each task created once
    assert org.problems == []


def kill_then_rerun(
    settings: Settings, standin: SalesforceStandIn, request: int, when: When
) -> None:
    leads, accounts = data()
    write_marts(settings, leads, accounts)
    seed_org(standin, leads, accounts)

    assert killed_run(settings, standin, request, when) == -9 and standin.killed

    standin.kill_on_request = None
    standin.faults.clear()
    unconfirmed = {
        (row["sobject"], row["record_key"])
        for row in log_rows(settings)
        if row["status"] != "written"
    }
    calls_before_rerun = len(standin.calls)
    report = push(
        settings, config=standin_config(standin, batch_size=BATCH_SIZE), policy=RERUN_AT_ONCE
    )

    resent = sent_records(standin, calls_before_rerun)
    assert len(resent) == len(set(resent))  # nothing twice within the rerun
    assert set(resent) == unconfirmed  # claims come before any request: all are in the log
    assert {row["status"] for row in log_rows(settings)} == {"written"}
    assert not report.failed
    assert_org_holds_the_marts(standin, leads, accounts)
    again = len(standin.calls)
    push(settings, config=standin_config(standin, batch_size=BATCH_SIZE), policy=RERUN_AT_ONCE)
    assert len(standin.calls) == again  # and then nothing


@pytest.mark.slow
@pytest.mark.parametrize(("request_number", "when"), KILL_POINTS)
def test_killed_at_any_request_then_rerun_writes_everything_once(
    memory_duckdb_settings: Settings,
    salesforce: SalesforceStandIn,
    request_number: int,
    when: When,
) -> None:
    kill_then_rerun(memory_duckdb_settings, salesforce, request_number, when)


@pytest.mark.parametrize(("request_number", "when"), [(3, "after"), (8, "after")])
def test_killed_mid_batch_then_rerun_on_duckdb(
    memory_duckdb_settings: Settings, salesforce: SalesforceStandIn, request_number: int, when: When
) -> None:
    kill_then_rerun(memory_duckdb_settings, salesforce, request_number, when)


@pytest.mark.postgres
@pytest.mark.parametrize(("request_number", "when"), [(2, "before"), (6, "after"), (8, "after")])
def test_killed_then_rerun_on_postgres(
    postgres_settings: Settings, salesforce: SalesforceStandIn, request_number: int, when: When
) -> None:
    kill_then_rerun(postgres_settings, salesforce, request_number, when)


def test_the_child_makes_exactly_the_requests_the_kill_points_count(
    memory_duckdb_settings: Settings, salesforce: SalesforceStandIn
) -> None:
    """Unkilled, the child makes exactly CHILD_REQUESTS, so the kill points cover its run."""
    leads, accounts = data()
    write_marts(memory_duckdb_settings, leads, accounts)
    seed_org(salesforce, leads, accounts)

    returncode = killed_run(memory_duckdb_settings, salesforce, len(CHILD_REQUESTS) + 1, "before")

    assert returncode == 3 and not salesforce.killed
    assert [call.sobject or call.route for call in salesforce.calls] == CHILD_REQUESTS
    assert [call.status for call in salesforce.calls] == [200, 200, 503, 200, 200, 200, 200, 200]
    assert {row["status"] for row in log_rows(memory_duckdb_settings)} == {"written"}
    assert_org_holds_the_marts(salesforce, leads, accounts)
