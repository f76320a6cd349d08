"""The revenue forecast in the weekly executive report: a table of the latest as-of date's six
months (all segments) with the interval, a headline, and a chart that shades the interval."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from reports.executive import build_report, render_markdown, write_report

EMPTY = pd.DataFrame()


def _forecast() -> pd.DataFrame:
    rows = []
    for as_of, scale in ((dt.date(2026, 11, 20), 2.0), (dt.date(2026, 12, 4), 1.0)):
        for offset in range(6):
            month = pd.Timestamp(2026, 12, 1) + pd.DateOffset(months=offset)
            for segment, share in (("all", 1.0), ("smb", 0.4)):
                expected = scale * share * 1000 * (offset + 1)
                rows.append(
                    {
                        "as_of_date": as_of,
                        "forecast_month": month,
                        "segment": segment,
                        "expected_won_amount": expected,
                        "lower_won_amount": expected * 0.5,
                        "upper_won_amount": expected * 1.5,
                        "realised_won_amount": None,
                    }
                )
    return pd.DataFrame(rows)


def _frames(forecast: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "pipeline": EMPTY,
        "segments": EMPTY,
        "customer_churn": EMPTY,
        "account_churn": EMPTY,
        "forecast": forecast,
    }


def test_forecast_section_table_headline_and_chart(tmp_path: Path) -> None:
    report = build_report(_frames(_forecast()), dt.date(2026, 12, 7))

    title, body = next(section for section in report.sections if section[0].startswith("Revenue"))
    assert title == "Revenue forecast as of 2026-12-04"
    lines = body.splitlines()
    assert lines[2] == "| 2026-12 | 1,000 | 500 - 1,500 |"  # the latest date, all segments
    assert lines[-1] == "| 2027-05 | 6,000 | 3,000 - 9,000 |" and len(lines) == 8
    assert "Expected closed-won revenue, next 6 months: 21,000." in report.headlines
    chart = report.charts["revenue_forecast"]
    assert list(chart.columns) == ["expected", "lower (90%)", "upper (90%)"]
    assert "![revenue forecast](revenue_forecast.png)" in render_markdown(report)

    write_report(report, tmp_path)
    png = tmp_path / "revenue_forecast.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


def test_without_a_forecast_the_report_says_so() -> None:
    report = build_report(_frames(EMPTY), dt.date(2026, 12, 7))
    assert ("Revenue forecast", "No forecast yet (too little deal history).") in report.sections
    assert "revenue_forecast" not in report.charts
