"""``GET /pipeline/forecast`` and ``GET /kpis/anomalies``: the sales forecast and the KPI
outliers (managers, CRO and admin; both cover the whole company, so reps get 403)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from service.routers.common import (
    Page,
    caller_scope,
    forbidden,
    page_params,
    plain_row,
    reader_of,
    require_tables,
)
from service.scope import Scope

router = APIRouter(tags=["sales"])

FORECAST = "marts.pipeline_forecast"
ANOMALIES = "marts.kpi_anomalies"
DAILY_KPIS = "marts.daily_kpis"
FORECAST_COLUMNS = (
    "forecast_month, month_offset, segment, expected_won_amount, lower_won_amount,"
    " upper_won_amount, won_amount_stddev, pipeline_expected_amount,"
    " new_business_expected_amount, open_deals, model_scored_deals, open_amount,"
    " reference_dates, is_month_complete, realised_won_amount"
)
Segment = Literal["all", "smb", "mid_market", "enterprise", "unknown"]
Kpi = Literal["orders", "revenue", "usage_events", "new_pipeline_7d", "win_rate_28d"]
COMPANY_WIDE: dict[int | str, dict[str, Any]] = {
    403: {"description": "reps: the figures cover the whole company"}
}


def _company_wide(scope: Scope, what: str) -> None:
    if scope.caller.role == "rep":
        raise forbidden(f"{what} covers the whole company: manager, cro or admin keys")


@router.get(
    "/pipeline/forecast",
    summary="Expected closed-won revenue per month for the next two quarters, with its interval",
    responses={**COMPANY_WIDE, 404: {"description": "the forecast mart is not built yet"}},
)
def forecast(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    segment: Annotated[
        Segment | None, Query(description="One segment; `all` is the total. Default: every one.")
    ] = None,
) -> dict[str, Any]:
    _company_wide(scope, "the pipeline forecast")
    require_tables(request, FORECAST)
    reader = reader_of(request)
    where, params = "", []
    if segment:
        where, params = " and segment = %s", [segment]
    rows = reader.rows(
        f"select as_of_date, {FORECAST_COLUMNS} from {FORECAST}"
        f" where as_of_date = (select max(as_of_date) from {FORECAST}){where}"
        " order by case when segment = 'all' then 0 else 1 end, segment, forecast_month",
        params,
    )
    as_of = plain_row(rows[0])["as_of_date"] if rows else None
    return {
        "as_of_date": as_of,
        "months": [plain_row({k: v for k, v in row.items() if k != "as_of_date"}) for row in rows],
    }


@router.get(
    "/kpis/anomalies",
    summary="Statistical outliers in the daily KPIs (seasonal median and MAD), newest first",
    responses={**COMPANY_WIDE, 404: {"description": "the anomaly mart is not built yet"}},
)
def anomalies(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    page: Annotated[Page, Depends(page_params)],
    kpi: Annotated[Kpi | None, Query(description="Only this KPI.")] = None,
    direction: Annotated[
        Literal["spike", "drop"] | None, Query(description="Only spikes or only drops.")
    ] = None,
) -> dict[str, Any]:
    _company_wide(scope, "the KPI anomaly check")
    require_tables(request, ANOMALIES)
    reader = reader_of(request)
    conditions, params = ["1 = 1"], []
    for column, value in (("kpi_name", kpi), ("direction", direction)):
        if value:
            conditions.append(f"{column} = %s")
            params.append(value)
    rows = reader.rows(
        "select kpi_name, kpi_date, kpi_value, baseline_median, baseline_mad, baseline_days,"
        f" robust_z, direction, change_vs_baseline from {ANOMALIES}"
        f" where {' and '.join(conditions)} order by kpi_date desc, kpi_name" + page.sql(),
        params,
    )
    latest = None
    if reader.has_table(DAILY_KPIS):
        found = reader.rows(f"select max(kpi_date) as latest from {DAILY_KPIS}")
        latest = plain_row(found[0])["latest"] if found else None
    return page.answer(rows, latest_kpi_date=latest)
