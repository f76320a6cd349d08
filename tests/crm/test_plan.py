"""The diff rules (``crm.plan``) and the mart rows' translation (``crm.desired``), as pure
functions: no warehouse, no CRM."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from crm.config import SalesforceConfig
from crm.desired import Desired, desired_account, desired_lead, task_fields, task_key
from crm.plan import TASK_FIELD, LogRow, Policy, encode, plan_writes

NOW = datetime(2026, 11, 22, 7, 0)
AS_OF = date(2026, 11, 22)
CONFIG = SalesforceConfig()
STALE = timedelta(minutes=10)


def lead_row(score: float, priority: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "lead_id": "LEAD1",
        "as_of_date": AS_OF,
        "lead_score": score,
        "lead_priority": priority,
        "owner_user_id": "USR1",
        "lead_source": "referral",
        "industry": None,
        **{f"{name}_points": 10.0 for name in ("source", "email", "web", "company_size")},
        "recency_points": 12.5,
        "industry_points": None,
    }
    row.update(overrides)
    return row


def account_row(probability: float | None, band: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": "ACC1",
        "as_of_date": AS_OF,
        "churn_probability": probability,
        "churn_risk_band": band,
        "factor_1_name": "usage_trend",
        "factor_2_name": None,
        "factor_3_name": None,
        "account_name": "Acme",
        "owner_user_id": "USR2",
        "health_status": "at_risk",
        "overall_score": 0.41,
        "lowest_component": "support",
    }
    row.update(overrides)
    return row


def written(record: str, field: str, value: Any, generation: int = 1, **kw: Any) -> LogRow:
    values: dict[str, Any] = {
        "sobject": "Lead",
        "record_key": record,
        "field": field,
        "generation": generation,
        "old_value": None,
        "new_value": encode(value),
        "status": "written",
        "attempt": 1,
        "claimed_at": NOW - timedelta(days=1),
        "as_of_date": AS_OF,
    }
    values.update(kw)
    return LogRow(**values)


def plan(desired: list[Desired], log: list[LogRow]) -> Any:
    return plan_writes(desired, log, CONFIG, now=NOW, policy=Policy(stale_after=STALE))


def sent(result: Any) -> list[tuple[str, str, str, int, int]]:
    return [
        (write.sobject, write.record_key, write.field, write.generation, write.attempt)
        for write in result.writes
    ]


# --- desired values -------------------------------------------------------------------------


def test_values_are_rounded_to_what_the_crm_fields_keep() -> None:
    lead = desired_lead(lead_row(84.6, "critical"))
    account = desired_account(account_row(0.78491, "high"))

    assert lead.values == {"Lead_Score__c": 85, "Priority__c": "Critical"}
    assert account.values == {"Churn_Risk_Level__c": "High", "Churn_Risk_Score__c": 0.78}


def test_tasks_carry_subject_due_date_owner_and_reasons() -> None:
    lead = desired_lead(lead_row(91.2, "critical"))
    account = desired_account(account_row(0.85, "critical"))

    lead_task = task_fields(lead, CONFIG)
    account_task = task_fields(account, CONFIG)

    assert lead_task["Subject"] == "Follow up: critical lead (score 91)"
    assert lead_task["ActivityDate"] == "2026-11-23"
    assert lead_task["Who"] == {"attributes": {"type": "Lead"}, "CIW_External_Id__c": "LEAD1"}
    assert lead_task["Owner"] == {"attributes": {"type": "User"}, "CIW_External_Id__c": "USR1"}
    assert "recency 12.5" in lead_task["Description"] and "industry 0.0" in lead_task["Description"]
    assert account_task["Subject"] == "Churn risk intervention: Acme (Critical, 85%)"
    assert account_task["What"]["CIW_External_Id__c"] == "ACC1"
    assert "Top factors: usage_trend." in account_task["Description"]
    assert "weakest: support" in account_task["Description"]
    high = desired_account(account_row(0.65, "high"))
    assert task_fields(high, CONFIG)["ActivityDate"] == "2026-11-25"  # three days for High


def test_by_record_id_the_task_points_at_ids() -> None:
    lead = desired_lead(lead_row(91.0, "critical"))

    fields = task_fields(lead, SalesforceConfig(external_id_field="Id"))

    assert fields["WhoId"] == "LEAD1" and fields["OwnerId"] == "USR1" and "Who" not in fields


def test_an_account_without_a_probability_never_clears_the_crm_field() -> None:
    account = desired_account(account_row(None, "low"))

    result = plan([account], [])

    assert [write.field for write in result.writes] == ["Churn_Risk_Level__c"]


# --- the diff ---------------------------------------------------------------------------------


def test_first_run_sends_every_field_and_the_tasks_of_tasked_records() -> None:
    result = plan(
        [desired_lead(lead_row(85, "critical")), desired_account(account_row(0.3, "low"))], []
    )

    key = task_key("Lead", "LEAD1", AS_OF)
    assert sent(result) == [
        ("Lead", "LEAD1", "Lead_Score__c", 1, 1),
        ("Lead", "LEAD1", "Priority__c", 1, 1),
        ("Task", key, TASK_FIELD, 1, 1),
        ("Account", "ACC1", "Churn_Risk_Level__c", 1, 1),
        ("Account", "ACC1", "Churn_Risk_Score__c", 1, 1),
    ]


def test_only_changed_values_are_sent_with_the_old_value() -> None:
    log = [written("LEAD1", "Lead_Score__c", 85), written("LEAD1", "Priority__c", "Critical")]

    result = plan([desired_lead(lead_row(87.0, "critical"))], log)

    assert sent(result) == [("Lead", "LEAD1", "Lead_Score__c", 2, 1)]
    assert (result.writes[0].old_value, result.writes[0].new_value) == ("85", "87")
    assert result.unchanged == 1


def test_a_record_staying_critical_raises_no_task() -> None:
    log = [written("LEAD1", "Lead_Score__c", 85), written("LEAD1", "Priority__c", "Critical")]

    result = plan([desired_lead(lead_row(99.0, "critical"))], log)

    assert all(write.sobject != "Task" for write in result.writes)


def test_an_account_going_from_high_to_critical_raises_no_second_task() -> None:
    log = [
        written("ACC1", "Churn_Risk_Level__c", "High", sobject="Account"),
        written("ACC1", "Churn_Risk_Score__c", 0.7, sobject="Account"),
    ]

    result = plan([desired_account(account_row(0.9, "critical"))], log)

    assert [write.field for write in result.writes] == [
        "Churn_Risk_Level__c",
        "Churn_Risk_Score__c",
    ]


def test_becoming_critical_again_on_a_later_day_raises_a_new_task() -> None:
    earlier = task_key("Lead", "LEAD1", date(2026, 10, 1))
    log = [
        written("LEAD1", "Priority__c", "Critical"),
        written("LEAD1", "Priority__c", "Medium", generation=2, old_value='"Critical"'),
        written(earlier, TASK_FIELD, {"Subject": "x"}, sobject="Task"),
        written("LEAD1", "Lead_Score__c", 50),
    ]

    result = plan([desired_lead(lead_row(82.0, "critical"))], log)

    tasks = [write.record_key for write in result.writes if write.sobject == "Task"]
    assert tasks == [task_key("Lead", "LEAD1", AS_OF)]


def test_a_task_already_in_the_log_is_not_raised_again() -> None:
    key = task_key("Lead", "LEAD1", AS_OF)
    log = [written(key, TASK_FIELD, {"Subject": "x"}, sobject="Task")]

    result = plan([desired_lead(lead_row(85.0, "critical"))], log)

    assert [write.sobject for write in result.writes] == ["Lead", "Lead"]


def test_refused_and_interrupted_writes_are_sent_again_with_the_attempt_counted() -> None:
    stale = NOW - STALE - timedelta(seconds=1)
    key = task_key("Lead", "LEAD1", AS_OF)
    log = [
        written("LEAD1", "Lead_Score__c", 85, status="failed", error="UNABLE_TO_LOCK_ROW"),
        written("LEAD1", "Priority__c", "Critical", status="pending", claimed_at=stale, attempt=2),
        written(
            key, TASK_FIELD, {"Subject": "x"}, sobject="Task", status="pending", claimed_at=stale
        ),
    ]

    result = plan([desired_lead(lead_row(85.0, "critical"))], log)

    assert sent(result) == [
        ("Lead", "LEAD1", "Lead_Score__c", 1, 2),
        ("Lead", "LEAD1", "Priority__c", 1, 3),
        ("Task", key, TASK_FIELD, 1, 2),
    ]


def test_a_claim_another_run_just_made_is_left_to_it() -> None:
    log = [
        written(
            "LEAD1", "Lead_Score__c", 85, status="pending", claimed_at=NOW - timedelta(seconds=5)
        )
    ]

    result = plan([desired_lead(lead_row(85.0, "critical"))], log)

    assert result.in_flight == 1
    assert [write.field for write in result.writes if write.sobject == "Lead"] == ["Priority__c"]


def test_a_failed_value_the_marts_replaced_is_superseded() -> None:
    log = [
        written("LEAD1", "Lead_Score__c", 70),
        written("LEAD1", "Lead_Score__c", 75, generation=2, old_value="70", status="failed"),
        written("LEAD1", "Priority__c", "High"),
    ]

    result = plan([desired_lead(lead_row(78.0, "high"))], log)

    assert [(row.generation, why) for row, why in result.superseded] == [(2, "replaced by 78")]
    assert sent(result) == [("Lead", "LEAD1", "Lead_Score__c", 3, 1)]
    assert result.writes[0].old_value == "70"  # the last value the CRM confirmed


def test_back_to_the_written_value_supersedes_and_sends_nothing() -> None:
    log = [
        written("LEAD1", "Lead_Score__c", 70),
        written("LEAD1", "Lead_Score__c", 75, generation=2, status="failed"),
        written("LEAD1", "Priority__c", "High"),
    ]

    result = plan([desired_lead(lead_row(70.0, "high"))], log)

    assert result.writes == [] and len(result.superseded) == 1


def test_records_that_left_the_marts_supersede_their_open_writes_but_tasks_stand() -> None:
    key = task_key("Lead", "LEAD1", AS_OF)
    log = [
        written("LEAD1", "Lead_Score__c", 85, status="failed"),
        written(key, TASK_FIELD, {"Subject": "x"}, sobject="Task", status="failed"),
    ]

    result = plan([], log)

    assert [(row.field, why) for row, why in result.superseded] == [
        ("Lead_Score__c", "no longer in the scored marts")
    ]
    assert sent(result) == [("Task", key, TASK_FIELD, 1, 2)]


def test_a_value_refused_too_often_is_given_up_until_it_changes() -> None:
    refused = written("LEAD1", "Lead_Score__c", 85, status="failed", attempt=10)
    log = [refused, written("LEAD1", "Priority__c", "Critical")]

    same = plan([desired_lead(lead_row(85.0, "critical"))], log)
    changed = plan([desired_lead(lead_row(86.0, "critical"))], log)

    assert same.writes == [] and same.given_up == 1
    assert sent(changed) == [("Lead", "LEAD1", "Lead_Score__c", 2, 1)]


def test_records_scored_long_ago_are_left_alone() -> None:
    old = desired_lead(lead_row(85.0, "critical", as_of_date=AS_OF - timedelta(days=8)))
    log = [written("LEAD1", "Lead_Score__c", 80, status="failed")]

    result = plan([old], log)

    assert result.writes == [] and result.superseded == [] and result.too_old == 1
