"""Page data for the sales parts of the design: the pipeline forecast and the KPI anomalies
(CRO view), and the deal review queue (manager view)."""

from __future__ import annotations

from typing import Any

from service.pages.marts import MartReader
from service.reader import MartsReader
from service.reviews import read_queue, summary
from service.scope import Scope, team_of
from warehouse.settings import Settings

ANOMALIES_SHOWN = 20
DECIDED_SHOWN = 10


def forecast(reader: MartReader) -> dict[str, Any]:
    """The latest forecast: every segment's months (the chart draws the `all` rows)."""
    if not reader.has("marts.pipeline_forecast"):
        return {"forecast": [], "forecast_total": [], "forecast_as_of": None, "forecast_sum": 0}
    rows = reader.rows(
        "select as_of_date, forecast_month, segment, expected_won_amount, lower_won_amount,"
        " upper_won_amount, pipeline_expected_amount, new_business_expected_amount, open_deals"
        " from marts.pipeline_forecast"
        " where as_of_date = (select max(as_of_date) from marts.pipeline_forecast)"
        " order by case when segment = 'all' then 0 else 1 end, segment, forecast_month"
    )
    total = [row for row in rows if row["segment"] == "all"]
    return {
        "forecast": rows,
        "forecast_total": total,
        "forecast_as_of": rows[0]["as_of_date"] if rows else None,
        "forecast_sum": sum(float(row["expected_won_amount"] or 0) for row in total),
    }


def anomalies(reader: MartReader) -> dict[str, Any]:
    """The newest KPI anomalies and the last day the KPIs cover."""
    if not reader.has("marts.kpi_anomalies"):
        return {"anomalies": [], "kpi_latest": None}
    rows = reader.rows(
        "select kpi_name, kpi_date, kpi_value, baseline_median, robust_z, direction,"
        " change_vs_baseline from marts.kpi_anomalies order by kpi_date desc, kpi_name limit %s",
        [ANOMALIES_SHOWN],
    )
    latest = None
    if reader.has("marts.daily_kpis"):
        latest = reader.one("select max(kpi_date) as latest from marts.daily_kpis").get("latest")
    return {"anomalies": rows, "kpi_latest": latest}


def team_reviews(
    settings: Settings, source: MartsReader, scope: Scope, manager_id: str
) -> dict[str, Any]:
    """The review queue of ``manager_id``'s team (within ``scope``): pending ones oldest first,
    the latest decisions, and the team's override rate."""
    team = team_of(manager_id, source) | {manager_id}
    read = read_queue(settings, source)
    rows = [
        row
        for row in read.rows
        if row["owner_user_id"] in team and scope.allows(row["owner_user_id"])
    ]
    decided = sorted(
        (row for row in rows if row["status"] != "pending"),
        key=lambda row: (row["reviewed_at"] is not None, row["reviewed_at"] or 0),
        reverse=True,
    )
    return {
        "reviews_pending": [row for row in rows if row["status"] == "pending"],
        "reviews_decided": decided[:DECIDED_SHOWN],
        "reviews_summary": summary(rows),
        "reviews_source": read.source,
    }
