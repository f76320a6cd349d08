"""The sales-insight marts on a warehouse a real daily run built (DuckDB and PostgreSQL): the
pipeline forecast backtested against the revenue the generated history then realised, the KPI
anomaly and deal-review marts with their dbt unit tests (injected outliers, a clean series),
and the daily run's asset that writes the dated result files.
"""

from __future__ import annotations

import json

import pytest

from tests.built import BuiltWarehouse
from warehouse.dbt import run_dbt

NOMINAL_COVERAGE = 0.90


def _coverage(built: BuiltWarehouse, segment_filter: str) -> tuple[int, float]:
    cells, covered = built.query(
        "select count(*), sum(case when realised_won_amount between lower_won_amount"
        " and upper_won_amount then 1 else 0 end) from marts.pipeline_forecast"
        f" where is_month_complete and {segment_filter}"
    )[0]
    return int(cells), float(covered or 0) / max(int(cells), 1)


def test_forecast_interval_covers_realised_revenue_near_its_nominal_rate(
    built_warehouse: BuiltWarehouse,
) -> None:
    """Every completed (as-of date, month, segment) cell of the history is a backtest: the
    forecast at that date used only what was known then. On the generated 400-customer history
    the 90% interval of the total covers about 96% of months, and 82% of the per-segment cells
    (a handful of lumpy deals per segment and month)."""
    total_cells, total = _coverage(built_warehouse, "segment = 'all'")
    segment_cells, segments = _coverage(built_warehouse, "segment <> 'all'")
    print(
        f"coverage of the 90% interval: all {total:.3f} over {total_cells} months, "
        f"segments {segments:.3f} over {segment_cells} cells"
    )

    assert total_cells >= 30 and segment_cells >= 90
    assert NOMINAL_COVERAGE - 0.08 <= total <= 0.995
    assert NOMINAL_COVERAGE - 0.15 <= segments <= 0.995


def test_forecast_latest_date_is_six_months_per_segment_with_consistent_parts(
    built_warehouse: BuiltWarehouse,
) -> None:
    latest = built_warehouse.scalar("select max(as_of_date) from marts.pipeline_forecast")
    rows = built_warehouse.query(
        "select segment, month_offset, open_deals, model_scored_deals, pipeline_expected_amount,"
        " new_business_expected_amount, expected_won_amount, lower_won_amount, upper_won_amount"
        f" from marts.pipeline_forecast where as_of_date = cast('{latest}' as date)"
    )
    by_segment: dict[str, list[int]] = {}
    for segment, month, open_deals, scored, pipeline, new, expected, lower, upper in rows:
        by_segment.setdefault(segment, []).append(month)
        assert expected == pytest.approx(pipeline + new)
        assert 0 <= lower <= expected <= upper
        assert scored <= open_deals
    assert "all" in by_segment and len(by_segment) >= 3
    assert all(sorted(months) == list(range(6)) for months in by_segment.values())
    total = {row[1]: row[6] for row in rows if row[0] == "all"}
    by_month = {month: 0.0 for month in range(6)}
    for row in rows:
        if row[0] != "all":
            by_month[row[1]] += row[6]
    assert by_month == pytest.approx(total)
    # The run scored the open deals with the deal-risk model: the forecast used those scores.
    scored_total = sum(row[3] for row in rows if row[0] == "all" and row[1] == 0)
    assert scored_total == built_warehouse.scalar(
        "select count(*) from marts.deal_risk_scores as scores"
        " inner join features.opportunity_features as features"
        " on scores.opportunity_id = features.opportunity_id"
        " and scores.as_of_date = features.as_of_date"
        f" where features.as_of_date = cast('{latest}' as date)"
    )


def test_kpi_and_review_marts_and_their_unit_tests(built_warehouse: BuiltWarehouse) -> None:
    kpis = {
        row[0] for row in built_warehouse.query("select distinct kpi_name from marts.daily_kpis")
    }
    assert {"orders", "revenue", "usage_events", "new_pipeline_7d", "win_rate_28d"} <= kpis
    # A stopped source is not a run of zeros: no KPI reaches past its last day with data.
    assert (
        built_warehouse.scalar(
            "select count(*) from marts.kpi_anomalies where kpi_value = 0 and direction = 'drop'"
            " and kpi_name = 'usage_events'"
        )
        == 0
    )
    queued = built_warehouse.scalar("select count(*) from marts.deal_review_queue")
    assert queued == built_warehouse.scalar(
        "select count(*) from marts.alerts"
        " where alert_type = 'high_risk_deal' and metric_value > 90"
    )
    result = run_dbt(
        [
            "test",
            "--select",
            "kpi_anomalies deal_review_queue deal_review_override_rate"
            " int_alert_candidates_anomaly",
            "--exclude",
            "test_type:data",
        ],
        built_warehouse.settings,
        target_path=built_warehouse.settings.artifacts_dir / "sales_unit_tests",
        echo=False,
    )
    assert result.statuses["unit_test"]["pass"] >= 5


def test_the_daily_run_wrote_dated_result_files(built_warehouse: BuiltWarehouse) -> None:
    statuses = {asset.asset_key: asset.status for asset in built_warehouse.result.assets}
    assert statuses["daily_result_files"] == "materialized"
    run_date = built_warehouse.scalar(
        "select as_of_date from intermediate.int_as_of_dates where is_latest"
    )
    root = built_warehouse.settings.artifacts_dir / "results"
    folder = f"year={run_date:%Y}/month={run_date:%m}/day={run_date:%d}"
    for dataset, table in (
        ("lead_scoring", "marts.lead_scores"),
        ("deal_risk", "marts.deal_risk_scores"),
        ("churn_prediction", "marts.account_risk_scores"),
    ):
        document = json.loads((root / dataset / folder / "results.json").read_text("utf-8"))
        assert document["as_of_date"] == run_date.isoformat()
        assert document["row_count"] == len(document["rows"])
        assert document["row_count"] == built_warehouse.scalar(f"select count(*) from {table}")
    forecast = json.loads((root / "pipeline_forecast" / folder / "results.json").read_text("utf-8"))
    assert {row["as_of_date"] for row in forecast["rows"]} == {run_date.isoformat()}
