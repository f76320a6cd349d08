"""Sales: ``GET /leads``, ``/deals/at-risk``, ``/pipeline`` and ``/reps/{id}``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from service.routers.common import (
    Page,
    caller_scope,
    factor_columns,
    factors,
    forbidden,
    latest,
    not_found,
    page_params,
    plain_row,
    reader_of,
    require_tables,
)
from service.scope import Scope

router = APIRouter(tags=["sales"])

LEADS = "marts.lead_scores"
DEALS = "marts.opportunity_pipeline"
DEAL_RISK = "marts.deal_risk_scores"
PIPELINE = "marts.pipeline_health"
REP_PERFORMANCE = "marts.rep_performance"
REP_DEAL_RISK = "marts.rep_deal_risk"
ALERTS = "marts.alerts"
#: The deal alert's threshold (dbt var ``alert_deal_risk_threshold``): risk on a 0-100 scale.
DEFAULT_DEAL_RISK = 75.0

UserId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="CRM user.")
]


@router.get("/leads", summary="Scored leads in the caller's book, best first")
def leads(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    page: Annotated[Page, Depends(page_params)],
    priority: Annotated[
        Literal["high", "medium", "low"] | None, Query(description="Only this priority.")
    ] = None,
) -> dict[str, Any]:
    require_tables(request, LEADS)
    owners, params = scope.owner_filter("owner_user_id")
    where = owners
    if priority:
        where += " and lead_priority = %s"
        params.append(priority)
    rows = reader_of(request).rows(
        f"select lead_id, as_of_date, owner_user_id, owner_name, lead_source, industry,"
        f" company_size_band, lead_age_days, lead_score, lead_priority"
        f" from {latest(LEADS)} as leads where {where}"
        f" order by lead_score desc, lead_id" + page.sql(),
        params,
    )
    return page.answer(rows)


@router.get(
    "/deals/at-risk",
    summary="Open deals in the caller's book with a risk score at or above min_risk",
)
def deals_at_risk(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    page: Annotated[Page, Depends(page_params)],
    min_risk: Annotated[
        float, Query(ge=0, le=100, description="Lowest risk score (0-100) to list.")
    ] = DEFAULT_DEAL_RISK,
) -> dict[str, Any]:
    require_tables(request, DEALS, DEAL_RISK)
    owners, params = scope.owner_filter("deals.owner_user_id")
    has_alerts = reader_of(request).has_table(ALERTS)
    action = (
        f", (select max(alerts.suggested_actions) from {ALERTS} as alerts"
        " where alerts.entity_type = 'opportunity' and alerts.entity_id = deals.opportunity_id)"
        " as suggested_actions"
        if has_alerts
        else ", null as suggested_actions"
    )
    rows = reader_of(request).rows(
        f"select deals.opportunity_id, deals.account_id, deals.account_name, deals.segment,"
        f" deals.stage_name, deals.amount, deals.age_days, deals.days_in_stage,"
        f" deals.expected_close_date, deals.owner_user_id, deals.owner_name, risk.risk_score,"
        f" {factor_columns('risk')}{action}"
        f" from {latest(DEALS)} as deals"
        f" inner join {latest(DEAL_RISK)} as risk on risk.opportunity_id = deals.opportunity_id"
        f" where {owners} and risk.risk_score >= %s"
        f" order by risk.risk_score desc, deals.opportunity_id" + page.sql(),
        [*params, min_risk],
    )
    for row in rows:
        row["factors"] = factors(row)
    return page.answer(rows)


@router.get(
    "/pipeline",
    summary="Pipeline health index by segment: now and its trend (managers, CRO, admin)",
    responses={403: {"description": "reps: the index covers every owner"}},
)
def pipeline(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    periods: Annotated[
        int, Query(ge=1, le=104, description="How many past as-of dates the trend covers.")
    ] = 12,
) -> dict[str, Any]:
    if scope.caller.role == "rep":
        raise forbidden("the pipeline health index covers every owner: manager, cro or admin keys")
    require_tables(request, PIPELINE)
    reader = reader_of(request)
    dates = reader.rows(
        f"select distinct as_of_date from {PIPELINE} order by as_of_date desc limit %s",
        (periods,),
    )
    if not dates:
        return {"as_of_date": None, "segments": [], "trend": []}
    oldest = dates[-1]["as_of_date"]
    rows = reader.rows(
        f"select as_of_date, segment, pipeline_health_index, pipeline_health_index_4_weeks_ago,"
        f" open_deals, open_pipeline_amount, win_rate_90d, coverage_ratio,"
        f" sales_cycle_days_90d, coverage_score, distribution_score, win_rate_score,"
        f" velocity_score from {PIPELINE} where as_of_date >= %s order by as_of_date, segment",
        (oldest,),
    )
    newest = dates[0]["as_of_date"]
    return {
        "as_of_date": plain_row({"d": newest})["d"],
        "segments": [plain_row(row) for row in rows if row["as_of_date"] == newest],
        "trend": [
            plain_row(
                {
                    "as_of_date": row["as_of_date"],
                    "segment": row["segment"],
                    "pipeline_health_index": row["pipeline_health_index"],
                }
            )
            for row in rows
        ],
    }


@router.get(
    "/reps/{user_id}",
    summary="A rep's performance by quarter and their open deals' risk against the team",
    responses={403: {"description": "not the caller nor their team"}, 404: {"description": "?"}},
)
def rep(
    request: Request, user_id: UserId, scope: Annotated[Scope, Depends(caller_scope)]
) -> dict[str, Any]:
    if not scope.allows(user_id):
        raise forbidden(f"rep {user_id} is outside your team")
    reader = reader_of(request)
    quarters: list[dict[str, Any]] = []
    risk: list[dict[str, Any]] = []
    if reader.has_table(REP_PERFORMANCE):
        quarters = reader.rows(
            f"select * from {REP_PERFORMANCE} where owner_user_id = %s"
            " order by quarter_start_date desc limit 8",
            (user_id,),
        )
    if reader.has_table(REP_DEAL_RISK):
        risk = reader.rows(
            f"select * from {latest(REP_DEAL_RISK)} as risk where owner_user_id = %s", (user_id,)
        )
    if not quarters and not risk:
        raise not_found(f"rep {user_id} has no closed deals and no open deals in the marts")
    first = quarters[0] if quarters else risk[0]
    return {
        "user_id": user_id,
        "name": first.get("owner_name"),
        "manager_user_id": first.get("manager_user_id"),
        "open_deal_risk": plain_row(risk[0]) if risk else None,
        "quarters": [plain_row(row) for row in quarters],
    }
