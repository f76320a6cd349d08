"""Page data for the Customer Health Overview and the alerts inbox, read from the marts."""

from __future__ import annotations

from typing import Any

from service.pages.marts import MartReader, OwnerScope, owner_filter

HEALTH_ORDER = ("critical", "at_risk", "healthy")
BAND_ORDER = ("critical", "high", "medium", "low")
AT_RISK_BANDS = ("critical", "high")
#: Deal risk (0-100) above which an open deal counts as at risk (the high-risk deal alert's).
DEAL_RISK_THRESHOLD = 75.0
OPEN_STATUSES = ("open", "acknowledged", "in_progress")
URGENCY_ORDER = ("immediate", "within_24h", "within_week")
SEVERITY_ORDER = ("critical", "high", "medium", "low")
ALERT_LIMIT = 200
ACCOUNT_LIMIT = 25


def _ordered(rows: list[dict[str, Any]], key: str, order: tuple[str, ...]) -> list[dict[str, Any]]:
    rank = {value: index for index, value in enumerate(order)}
    return sorted(rows, key=lambda row: (rank.get(row[key], len(order)), str(row[key])))


def _rank_sql(column: str, order: tuple[str, ...]) -> str:
    whens = " ".join(f"when '{value}' then {index}" for index, value in enumerate(order))
    return f"case {column} {whens} else {len(order)} end"


def revenue_at_risk(reader: MartReader, scope: OwnerScope) -> dict[str, Any]:
    """Account MRR in the high and critical churn bands, open deal amount above the deal-risk
    threshold, and (for callers who see everything) shop customers' predicted revenue in the
    high and critical bands."""
    found: dict[str, Any] = {"account_mrr": None, "deal_amount": None, "customer_revenue": None}
    bands = ", ".join(f"'{band}'" for band in AT_RISK_BANDS)
    if reader.has("marts.account_health") and reader.has("marts.account_risk_scores"):
        where, params = owner_filter(("health.owner_user_id", "health.csm_user_id"), scope)
        found["account_mrr"] = reader.one(
            "select coalesce(sum(health.mrr), 0) as total, count(*) as accounts"
            " from marts.account_health as health join marts.account_risk_scores as risk"
            f" on risk.account_id = health.account_id where risk.churn_risk_band in ({bands})"
            f" and {where}",
            params,
        )
    if reader.has("marts.deal_risk_scores") and reader.has("marts.opportunity_pipeline"):
        where, params = owner_filter(("deal.owner_user_id",), scope)
        found["deal_amount"] = reader.one(
            "select coalesce(sum(deal.amount), 0) as total, count(*) as deals"
            " from marts.opportunity_pipeline as deal join marts.deal_risk_scores as risk"
            " on risk.opportunity_id = deal.opportunity_id"
            f" where risk.risk_score > %s and {where}",
            [DEAL_RISK_THRESHOLD, *params],
        )
    if scope is None and reader.has("marts.customer_risk_scores"):
        found["customer_revenue"] = reader.one(
            "select coalesce(sum(predicted_revenue), 0) as total, count(*) as customers"
            f" from marts.customer_risk_scores where churn_risk_band in ({bands})"
        )
    return found


def health_overview(reader: MartReader, scope: OwnerScope) -> dict[str, Any]:
    """Accounts by health band and churn band, shop customers by churn band, revenue at risk
    and the accounts most at risk."""
    context: dict[str, Any] = {"accounts_by_health": [], "account_churn": [], "at_risk": []}
    if reader.has("marts.account_health"):
        where, params = owner_filter(("owner_user_id", "csm_user_id"), scope)
        rows = reader.rows(
            "select health_status, count(*) as accounts, coalesce(sum(mrr), 0) as mrr,"
            " avg(overall_score) as avg_score"
            f" from marts.account_health where {where} group by health_status",
            params,
        )
        context["accounts_by_health"] = _ordered(rows, "health_status", HEALTH_ORDER)
    if reader.has("marts.account_health") and reader.has("marts.account_risk_scores"):
        where, params = owner_filter(("health.owner_user_id", "health.csm_user_id"), scope)
        joined = (
            " from marts.account_health as health join marts.account_risk_scores as risk"
            f" on risk.account_id = health.account_id where {where}"
        )
        rows = reader.rows(
            "select risk.churn_risk_band, count(*) as accounts,"
            f" coalesce(sum(health.mrr), 0) as mrr{joined} group by risk.churn_risk_band",
            params,
        )
        context["account_churn"] = _ordered(rows, "churn_risk_band", BAND_ORDER)
        context["at_risk"] = reader.rows(
            "select health.account_id, health.account_name, health.segment, health.mrr,"
            " health.overall_score, health.health_status, health.lowest_component,"
            " risk.churn_probability, risk.churn_risk_band, risk.factor_1_name,"
            " health.owner_user_id, health.owner_name, health.csm_name"
            f"{joined} order by risk.churn_probability desc, health.account_id limit %s",
            [*params, ACCOUNT_LIMIT],
        )
    context["customer_churn"] = None
    if scope is None and reader.has("marts.customer_risk_scores"):
        rows = reader.rows(
            "select churn_risk_band, count(*) as customers,"
            " coalesce(sum(predicted_revenue), 0) as predicted_revenue,"
            " avg(churn_probability) as avg_probability"
            " from marts.customer_risk_scores group by churn_risk_band"
        )
        context["customer_churn"] = _ordered(rows, "churn_risk_band", BAND_ORDER)
    context["revenue_at_risk"] = revenue_at_risk(reader, scope)
    return context


def _current_alerts(reader: MartReader) -> str:
    """Every alert with its current status: the latest lifecycle event in ``ops.alert_events``
    (as the API and ``ciw alerts`` read it), ``open`` without one; where the reader cannot see
    ``ops`` (PostgreSQL's read-only role), the status mart as of the last run."""
    if reader.has("ops.alert_events"):
        events = (
            " left join (select alert_id, status, assigned_to, note, occurred_at,"
            " row_number() over (partition by alert_id order by sequence desc) as position"
            " from ops.alert_events) as events"
            " on events.alert_id = alert.alert_id and events.position = 1"
        )
        state = (
            "coalesce(events.status, 'open') as status, events.assigned_to,"
            " events.note as last_note, coalesce(events.occurred_at, alert.created_at)"
            " as updated_at"
        )
    elif reader.has("marts.alert_status"):  # the read-only role sees the marts only
        events = " left join marts.alert_status as known on known.alert_id = alert.alert_id"
        state = (
            "coalesce(known.status, 'open') as status, known.assigned_to,"
            " known.resolution_note as last_note,"
            " coalesce(known.updated_at, alert.created_at) as updated_at"
        )
    else:
        events = ""
        state = (
            "'open' as status, cast(null as varchar) as assigned_to,"
            " cast(null as varchar) as last_note, alert.created_at as updated_at"
        )
    return (
        "(select alert.alert_id, alert.alert_type, alert.entity_type, alert.entity_id,"
        " alert.entity_name, alert.title, alert.details, alert.factors, alert.suggested_actions,"
        " alert.metric_value, alert.threshold_value, alert.as_of_date, alert.severity,"
        " alert.urgency, alert.owner_user_id, alert.owner_name, alert.created_at,"
        f" {state} from marts.alerts as alert{events}) as current_alert"
    )


def alert_filters(reader: MartReader) -> dict[str, list[str]]:
    """The values each inbox filter offers."""
    types = (
        [
            row["alert_type"]
            for row in reader.rows(
                "select distinct alert_type from marts.alerts order by alert_type"
            )
        ]
        if reader.has("marts.alerts")
        else []
    )
    return {"status": list(OPEN_STATUSES), "urgency": list(URGENCY_ORDER), "alert_type": types}


def alerts_inbox(
    reader: MartReader, scope: OwnerScope, chosen: dict[str, str], *, include_unowned: bool
) -> dict[str, Any]:
    """Open alerts in scope (owned or assigned; channel alerts too with ``include_unowned``),
    most urgent first, with counts by urgency. ``chosen`` holds validated filter values
    (status, urgency, alert_type)."""
    if not reader.has("marts.alerts"):
        return {"alerts": [], "by_urgency": [], "total": 0, "built": False}
    where, params = owner_filter(("owner_user_id", "assigned_to"), scope)
    if include_unowned and scope is not None:
        where = f"({where} or owner_user_id is null)"
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    conditions = [where, f"status in ({statuses})"]
    for column in ("status", "urgency", "alert_type"):
        if chosen.get(column):
            conditions.append(f"{column} = %s")
            params.append(chosen[column])
    base = f" from {_current_alerts(reader)} where {' and '.join(conditions)}"
    by_urgency = reader.rows(f"select urgency, count(*) as alerts{base} group by urgency", params)
    alerts = reader.rows(
        "select alert_id, alert_type, entity_type, entity_id, entity_name, title, severity,"
        " urgency, status, owner_user_id, owner_name, assigned_to, created_at"
        f"{base} order by {_rank_sql('urgency', URGENCY_ORDER)},"
        f" {_rank_sql('severity', SEVERITY_ORDER)}, created_at desc, alert_id limit %s",
        [*params, ALERT_LIMIT],
    )
    return {
        "alerts": alerts,
        "by_urgency": _ordered(by_urgency, "urgency", URGENCY_ORDER),
        "total": sum(int(row["alerts"]) for row in by_urgency),
        "built": True,
    }


def alert_detail(reader: MartReader, alert_id: str) -> dict[str, Any] | None:
    """One alert with its status, factors and suggested actions; None when unknown."""
    if not reader.has("marts.alerts"):
        return None
    found = reader.rows(f"select * from {_current_alerts(reader)} where alert_id = %s", [alert_id])
    return found[0] if found else None


def split_list(text: str | None) -> list[str]:
    """A mart's "; "-separated list as items."""
    return [item.strip() for item in (text or "").split(";") if item.strip()]
