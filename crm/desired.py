"""What the CRM should hold, read from the scored marts: the four writeback fields, and the
follow-up task a record gets when it becomes Critical (leads) or High / Critical (accounts).

Values are rounded to what the CRM field keeps (a whole-number lead score, a churn score with
two decimals), so that a difference the CRM could not show never causes a write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from crm.config import SalesforceConfig
from warehouse.adapters import Session

LEAD, ACCOUNT, TASK = "Lead", "Account", "Task"
RECORD_OBJECTS = (LEAD, ACCOUNT)
#: The field whose new value raises a task, and the values that do (entering the set does).
TASK_TRIGGERS: dict[str, tuple[str, frozenset[str]]] = {
    LEAD: ("Priority__c", frozenset({"Critical"})),
    ACCOUNT: ("Churn_Risk_Level__c", frozenset({"High", "Critical"})),
}
#: Days from the as-of date to the task's due date, by the level that raised it.
DUE_DAYS = {"Critical": 1, "High": 3}
TASK_STATUS = "Not Started"

LEADS_SQL = """
select lead_id, as_of_date, lead_score, lead_priority, owner_user_id, lead_source, industry,
    source_points, email_points, web_points, company_size_points, recency_points, industry_points
from marts.lead_scores
order by lead_id
"""
ACCOUNTS_SQL = """
select risk.account_id, risk.as_of_date, risk.churn_probability, risk.churn_risk_band,
    risk.factor_1_name, risk.factor_2_name, risk.factor_3_name, health.account_name,
    coalesce(health.csm_user_id, health.owner_user_id) as owner_user_id,
    health.health_status, health.overall_score, health.lowest_component
from marts.account_risk_scores as risk
left join marts.account_health as health on risk.account_id = health.account_id
order by risk.account_id
"""
#: Without account_health (no billing source): no names, owners or health in the task.
ACCOUNTS_WITHOUT_HEALTH_SQL = """
select account_id, as_of_date, churn_probability, churn_risk_band,
    factor_1_name, factor_2_name, factor_3_name, null as account_name,
    null as owner_user_id, null as health_status, null as overall_score,
    null as lowest_component
from marts.account_risk_scores
order by account_id
"""
ACCOUNT_HEALTH = "marts.account_health"
LEAD_POINTS = ("source", "email", "web", "company_size", "recency", "industry")


@dataclass(frozen=True)
class TaskSpec:
    """A follow-up task for one record, before it is shaped for the CRM."""

    subject: str
    description: str
    due_date: date
    priority: str
    owner_key: str | None


@dataclass(frozen=True)
class Desired:
    """One CRM record as the marts want it."""

    sobject: str
    record_key: str
    as_of_date: date
    values: dict[str, Any]
    task: TaskSpec | None = field(default=None, compare=False)


def level(band: str | None) -> str | None:
    """``critical`` -> ``Critical``: the CRM's picklist spelling of a mart's band."""
    return band.strip().capitalize() if band else None


def task_key(sobject: str, record_key: str, as_of_date: date) -> str:
    """The task's external id: one task per record and as-of date, whatever reruns."""
    return f"CIW-{sobject.upper()}-{record_key}-{as_of_date:%Y%m%d}"


def desired_lead(row: Mapping[str, Any]) -> Desired:
    score = round(float(row["lead_score"]))
    priority = level(row["lead_priority"])
    points = ", ".join(
        f"{name.replace('_', ' ')} {float(row[f'{name}_points'] or 0):.1f}" for name in LEAD_POINTS
    )
    task = TaskSpec(
        subject=f"Follow up: critical lead (score {score})",
        description=(
            f"Lead score {score}/100 ({priority}) on {row['as_of_date']}. Points: {points}."
            f" Source: {row['lead_source'] or 'unknown'}; industry: {row['industry'] or 'unknown'}."
        ),
        due_date=row["as_of_date"] + timedelta(days=DUE_DAYS["Critical"]),
        priority="High",
        owner_key=row["owner_user_id"],
    )
    return Desired(
        LEAD,
        str(row["lead_id"]),
        row["as_of_date"],
        {"Lead_Score__c": score, "Priority__c": priority},
        task,
    )


def desired_account(row: Mapping[str, Any]) -> Desired:
    values: dict[str, Any] = {"Churn_Risk_Level__c": level(row["churn_risk_band"])}
    probability = row["churn_probability"]
    if probability is not None:
        values["Churn_Risk_Score__c"] = round(float(probability), 2)
    risk_level = values["Churn_Risk_Level__c"]
    name = row["account_name"] or row["account_id"]
    factors = ", ".join(str(row[f"factor_{n}_name"]) for n in (1, 2, 3) if row[f"factor_{n}_name"])
    health = (
        f" Health: {row['health_status']} ({100 * float(row['overall_score']):.0f}/100),"
        f" weakest: {row['lowest_component']}."
        if row["health_status"] and row["overall_score"] is not None
        else ""
    )
    chance = f"{float(probability):.0%}" if probability is not None else "unknown"
    task = TaskSpec(
        subject=f"Churn risk intervention: {name} ({risk_level}, {chance})",
        description=(
            f"Churn probability {chance} ({risk_level}) on {row['as_of_date']}."
            f" Top factors: {factors or 'none recorded'}.{health}"
        ),
        due_date=row["as_of_date"] + timedelta(days=DUE_DAYS.get(risk_level or "", 3)),
        priority="High",
        owner_key=row["owner_user_id"],
    )
    return Desired(ACCOUNT, str(row["account_id"]), row["as_of_date"], values, task)


def read_desired(session: Session) -> tuple[list[Desired], list[str]]:
    """Every lead and account the marts score, and the marts that were missing (a source a
    deployment does not have: nothing to write for it)."""
    desired: list[Desired] = []
    missing: list[str] = []
    if session.table_exists("marts.lead_scores"):
        desired.extend(desired_lead(row) for row in session.rows(LEADS_SQL))
    else:
        missing.append("marts.lead_scores")
    if not session.table_exists("marts.account_risk_scores"):
        missing.append("marts.account_risk_scores")
    elif session.table_exists(ACCOUNT_HEALTH):
        desired.extend(desired_account(row) for row in session.rows(ACCOUNTS_SQL))
    else:
        missing.append(ACCOUNT_HEALTH)
        desired.extend(desired_account(row) for row in session.rows(ACCOUNTS_WITHOUT_HEALTH_SQL))
    return desired, missing


def relation(sobject: str, key: str, config: SalesforceConfig) -> tuple[str, Any]:
    """How a task points at a record: ``WhoId: <id>`` when the warehouse holds Salesforce
    ids, else a reference by external id (``Who: {attributes: {type}, <field>: <key>}``)."""
    name = {LEAD: "Who", ACCOUNT: "What", "User": "Owner"}[sobject]
    if config.by_record_id:
        return f"{name}Id", key
    return name, {"attributes": {"type": sobject}, config.external_id_field: key}


def task_fields(desired: Desired, config: SalesforceConfig) -> dict[str, Any]:
    """The Task record's fields (without its key) for a record's task."""
    task = desired.task
    if task is None:
        raise ValueError(f"{desired.sobject} {desired.record_key} has no task")
    fields: dict[str, Any] = {
        "Subject": task.subject[:255],
        "Description": task.description,
        "ActivityDate": task.due_date.isoformat(),
        "Priority": task.priority,
        "Status": TASK_STATUS,
    }
    name, value = relation(desired.sobject, desired.record_key, config)
    fields[name] = value
    if task.owner_key:
        owner, owner_value = relation("User", task.owner_key, config)
        fields[owner] = owner_value
    return fields
