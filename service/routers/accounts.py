"""``GET /accounts/{id}`` and ``GET /accounts/at-risk``: account health, churn risk, usage.

An account is in a caller's book when they own it or are its CSM.
"""

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
)
from service.scope import Scope

router = APIRouter(tags=["accounts"])

HEALTH = "marts.account_health"
RISK = "marts.account_risk_scores"
COMPONENTS = (
    "usage_score",
    "engagement_score",
    "support_score",
    "financial_score",
    "relationship_score",
)
AT_RISK_BANDS = ("high", "critical")

AccountId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="CRM account id."),
]


def _accounts_sql(where: str) -> str:
    return (
        f"select health.*, risk.churn_probability, risk.churn_risk_band,"
        f" risk.churn_horizon_days, {factor_columns('risk')},"
        f" risk.model_version as churn_model_version"
        f" from {latest(HEALTH)} as health"
        f" left join {latest(RISK)} as risk on risk.account_id = health.account_id"
        f" where {where}"
    )


def shape_account(row: dict[str, Any]) -> dict[str, Any]:
    """One account as the API shows it: health with components, churn risk, usage, owner."""
    found = dict(row)
    top = factors(found)
    item = plain_row(found)
    return {
        "account_id": item["account_id"],
        "account_name": item.get("account_name"),
        "segment": item.get("segment"),
        "industry": item.get("industry"),
        "region": item.get("region"),
        "mrr": item.get("mrr"),
        "as_of_date": item.get("as_of_date"),
        "health": {
            "score": item.get("overall_score"),
            "status": item.get("health_status"),
            "lowest_component": item.get("lowest_component"),
            "components": {name.removesuffix("_score"): item.get(name) for name in COMPONENTS},
        },
        "churn_risk": {
            "probability": item.get("churn_probability"),
            "band": item.get("churn_risk_band"),
            "horizon_days": item.get("churn_horizon_days"),
            "factors": top,
            "model_version": item.get("churn_model_version"),
        },
        "usage": {
            "trend_pct": item.get("usage_trend_pct"),
            "events_30d": item.get("event_count_30d"),
            "events_90d": item.get("event_count_90d"),
            "active_users_30d": item.get("active_users_30d"),
            "days_since_last_usage": item.get("days_since_last_usage"),
            "features_used_30d": item.get("features_used_30d"),
        },
        "owner": {"user_id": item.get("owner_user_id"), "name": item.get("owner_name")},
        "csm": {"user_id": item.get("csm_user_id"), "name": item.get("csm_name")},
        "manager_user_id": item.get("manager_user_id"),
    }


def _require_marts(request: Request) -> None:
    if not reader_of(request).has_table(HEALTH):
        raise not_found(f"{HEALTH} does not exist yet: the warehouse has no CRM accounts")


@router.get(
    "/accounts/at-risk",
    summary="Accounts at risk in the caller's book: high or critical churn risk, or unhealthy",
    responses={403: {"description": "no scope"}},
)
def accounts_at_risk(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    page: Annotated[Page, Depends(page_params)],
    band: Annotated[
        Literal["high", "critical"] | None,
        Query(description="Only this churn risk band (default: high and critical)."),
    ] = None,
) -> dict[str, Any]:
    _require_marts(request)
    bands = (band,) if band else AT_RISK_BANDS
    owners, params = scope.owner_filter("health.owner_user_id", "health.csm_user_id")
    marks = ", ".join(["%s"] * len(bands))
    risky = f"(risk.churn_risk_band in ({marks})" + (
        " or health.health_status = 'at_risk')" if band is None else ")"
    )
    rows = reader_of(request).rows(
        _accounts_sql(f"{owners} and {risky}")
        + " order by coalesce(risk.churn_probability, 0) desc, health.overall_score,"
        " health.account_id" + page.sql(),
        [*params, *bands],
    )
    return page.answer(rows, shape=shape_account)


@router.get(
    "/accounts/{account_id}",
    summary="One account: health score and components, churn risk, usage trend, owner",
    responses={403: {"description": "outside the caller's book"}, 404: {"description": "unknown"}},
)
def account(
    request: Request, account_id: AccountId, scope: Annotated[Scope, Depends(caller_scope)]
) -> dict[str, Any]:
    _require_marts(request)
    rows = reader_of(request).rows(_accounts_sql("health.account_id = %s"), (account_id,))
    if not rows:
        raise not_found(f"account {account_id} is unknown (not in {HEALTH})")
    row = rows[0]
    if not (scope.allows(row.get("owner_user_id")) or scope.allows(row.get("csm_user_id"))):
        raise forbidden(f"account {account_id} is outside your book")
    return shape_account(row)
