"""Page data for the CRO, manager and rep views, read from the sales and prediction marts."""

from __future__ import annotations

from typing import Any

from service.pages.customers import revenue_at_risk
from service.pages.marts import MartReader, OwnerScope, owner_filter

PRIORITY_ORDER = ("critical", "high", "medium", "low")
QUARTERS_SHOWN = 6
DEAL_LIMIT = 25
LEAD_LIMIT = 50

#: What a rep can do about each risk indicator of an open deal (opportunity_pipeline's flags).
INDICATOR_ACTIONS = {
    "is_stalled": "Book a next step with the buyer: the deal has not moved stage for weeks",
    "is_slow_in_stage": "Find what blocks this stage: it is slower than the stage norm",
    "is_older_than_segment_cycle": "Re-qualify the deal: it is older than the segment's cycle",
    "is_past_expected_close": "Agree a new close date with the buyer and update the CRM",
    "has_competitor": "Prepare the competitive positioning with the buyer's criteria",
    "has_weak_lead_source": "Confirm budget and authority: this lead source rarely wins",
    "has_weak_owner_win_rate": "Ask your manager for a deal review",
}


def cro_view(reader: MartReader) -> dict[str, Any]:
    """Pipeline health index trend by segment, the latest index with its factors, win rate by
    segment per quarter and revenue at risk (everything: the CRO's scope is the company)."""
    trend = reader.rows(
        "select as_of_date, segment, pipeline_health_index from marts.pipeline_health"
        " order by as_of_date, segment"
    )
    latest = reader.rows(
        "select segment, as_of_date, pipeline_health_index, pipeline_health_index_4_weeks_ago,"
        " open_deals, open_pipeline_amount, coverage_ratio, win_rate_90d, coverage_score,"
        " distribution_score, win_rate_score, velocity_score from marts.pipeline_health"
        " where as_of_date = (select max(as_of_date) from marts.pipeline_health)"
        " order by case when segment = 'all' then 0 else 1 end, segment"
    )
    win_rates: list[dict[str, Any]] = []
    if reader.has("marts.segment_performance"):
        win_rates = reader.rows(
            "select segment, quarter_start_date, is_complete_quarter, closed_deals, won_deals,"
            " win_rate, prior_quarter_win_rate, win_rate_change_points"
            " from marts.segment_performance where quarter_start_date in ("
            "  select distinct quarter_start_date from marts.segment_performance"
            "  order by quarter_start_date desc limit %s)"
            " order by quarter_start_date, segment",
            [QUARTERS_SHOWN],
        )
    return {
        "trend": trend,
        "latest": latest,
        "overall": next((row for row in latest if row["segment"] == "all"), None),
        "win_rates": win_rates,
        "revenue_at_risk": revenue_at_risk(reader, None),
    }


def managers(reader: MartReader, scope: OwnerScope) -> list[dict[str, Any]]:
    """The managers whose teams have open or closed deals (for a CRO or admin to pick)."""
    if not reader.has("marts.opportunity_pipeline"):
        return []
    where, params = owner_filter(("manager_user_id",), scope)
    return reader.rows(
        "select manager_user_id, count(distinct owner_user_id) as reps, count(*) as open_deals"
        " from marts.opportunity_pipeline where manager_user_id is not null and"
        f" {where} group by manager_user_id order by manager_user_id",
        params,
    )


def _deals(reader: MartReader, condition: str, params: list[Any], limit: int) -> list[dict]:
    if not (reader.has("marts.deal_risk_scores") and reader.has("marts.opportunity_pipeline")):
        return []
    flags = ", ".join(f"deal.{flag}" for flag in INDICATOR_ACTIONS)
    deals = reader.rows(
        "select deal.opportunity_id, deal.account_name, deal.segment, deal.stage_name,"
        " deal.amount, deal.days_in_stage, deal.expected_close_date, deal.owner_user_id,"
        " deal.owner_name, risk.risk_score, risk.factor_1_name, risk.factor_1_contribution,"
        " risk.factor_2_name, risk.factor_2_contribution, risk.factor_3_name,"
        f" risk.factor_3_contribution, {flags}"
        " from marts.opportunity_pipeline as deal join marts.deal_risk_scores as risk"
        f" on risk.opportunity_id = deal.opportunity_id where {condition}"
        " order by risk.risk_score desc, deal.opportunity_id limit %s",
        [*params, limit],
    )
    alert_actions = _deal_alert_actions(reader, [deal["opportunity_id"] for deal in deals])
    for deal in deals:
        deal["factors"] = [
            (deal[f"factor_{n}_name"], deal[f"factor_{n}_contribution"])
            for n in (1, 2, 3)
            if deal[f"factor_{n}_name"]
        ]
        from_alert = alert_actions.get(deal["opportunity_id"])
        deal["actions"] = from_alert or [
            action for flag, action in INDICATOR_ACTIONS.items() if deal.get(flag)
        ]
    return deals


def _deal_alert_actions(reader: MartReader, opportunity_ids: list[str]) -> dict[str, list[str]]:
    """The latest high-risk-deal alert's suggested actions per opportunity."""
    if not opportunity_ids or not reader.has("marts.alerts"):
        return {}
    marks = ", ".join(["%s"] * len(opportunity_ids))
    rows = reader.rows(
        "select entity_id, suggested_actions from marts.alerts where entity_type = 'opportunity'"
        f" and entity_id in ({marks}) order by created_at",
        opportunity_ids,
    )
    latest = {row["entity_id"]: row["suggested_actions"] for row in rows}
    return {
        key: [item.strip() for item in (text or "").split(";") if item.strip()]
        for key, text in latest.items()
    }


def manager_view(reader: MartReader, manager_id: str, scope: OwnerScope) -> dict[str, Any]:
    """A manager's team: each rep's open-deal risk against the team and latest quarter's
    performance, and the team's riskiest open deals."""
    where, params = owner_filter(("owner_user_id",), scope)
    reps: list[dict[str, Any]] = []
    if reader.has("marts.rep_deal_risk"):
        reps = reader.rows(
            "select owner_user_id, owner_name, team_name, manager_name, open_deal_count,"
            " open_amount, avg_risk_score, team_avg_risk_score, risk_vs_team_pct,"
            " stalled_deal_count from marts.rep_deal_risk"
            f" where manager_user_id = %s and {where} order by avg_risk_score desc, owner_user_id",
            [manager_id, *params],
        )
    performance: list[dict[str, Any]] = []
    if reader.has("marts.rep_performance"):
        performance = reader.rows(
            "select owner_user_id, owner_name, quarter_start_date, closed_deals, won_deals,"
            " won_amount, win_rate, team_win_rate, win_rate_vs_team_points, avg_deal_age_days,"
            " deal_age_vs_team_pct, stalled_deal_share from marts.rep_performance"
            f" where manager_user_id = %s and {where} and quarter_start_date = ("
            "  select max(quarter_start_date) from marts.rep_performance where closed_deals > 0)"
            " order by win_rate desc, owner_user_id",
            [manager_id, *params],
        )
    deal_where, deal_params = owner_filter(("deal.owner_user_id",), scope)
    deals = _deals(
        reader,
        f"deal.manager_user_id = %s and {deal_where}",
        [manager_id, *deal_params],
        DEAL_LIMIT,
    )
    name = next((rep["manager_name"] for rep in reps if rep.get("manager_name")), None)
    return {
        "manager_id": manager_id,
        "manager_name": name or manager_id,
        "reps": reps,
        "performance": performance,
        "deals": deals,
        "known": bool(reps or performance or deals),
    }


def rep_view(reader: MartReader, rep_id: str) -> dict[str, Any]:
    """A rep's open leads by priority and open deals by risk with factors and actions."""
    leads: list[dict[str, Any]] = []
    by_priority: list[dict[str, Any]] = []
    if reader.has("marts.lead_scores"):
        leads = reader.rows(
            "select lead_id, lead_source, industry, company_size_band, lead_age_days, lead_score,"
            " lead_priority, owner_name from marts.lead_scores where owner_user_id = %s"
            " order by lead_score desc, lead_id limit %s",
            [rep_id, LEAD_LIMIT],
        )
        counted = reader.rows(
            "select lead_priority, count(*) as leads from marts.lead_scores"
            " where owner_user_id = %s group by lead_priority",
            [rep_id],
        )
        rank = {value: index for index, value in enumerate(PRIORITY_ORDER)}
        by_priority = sorted(counted, key=lambda row: rank.get(row["lead_priority"], 9))
    deals = _deals(reader, "deal.owner_user_id = %s", [rep_id], LEAD_LIMIT)
    summary: dict[str, Any] = {}
    if reader.has("marts.rep_deal_risk"):
        summary = reader.one(
            "select owner_name, team_name, open_deal_count, open_amount, avg_risk_score,"
            " team_avg_risk_score, risk_vs_team_pct from marts.rep_deal_risk"
            " where owner_user_id = %s",
            [rep_id],
        )
    name = summary.get("owner_name") or next(
        (row["owner_name"] for row in [*deals, *leads] if row.get("owner_name")), None
    )
    return {
        "rep_id": rep_id,
        "rep_name": name or rep_id,
        "leads": leads,
        "by_priority": by_priority,
        "deals": deals,
        "summary": summary,
        "known": bool(name or leads or deals),
    }
