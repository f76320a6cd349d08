import datetime as dt
from pathlib import Path

import pandas as pd

from reports.executive import build_report, render_markdown, write_report


def _frames() -> dict[str, pd.DataFrame]:
    dates = pd.to_datetime(["2026-10-24", "2026-10-31"])
    pipeline = pd.DataFrame(
        {
            "as_of_date": list(dates) * 2,
            "segment": ["all", "all", "mid_market", "mid_market"],
            "pipeline_health_index": [70.0, 61.0, 66.0, 58.0],
            "open_pipeline_amount": [1_000_000.0, 950_000.0, 400_000.0, 380_000.0],
            "win_rate_90d": [0.31, 0.29, 0.25, 0.2],
        }
    )
    segments = pd.DataFrame(
        {
            "segment": ["enterprise", "mid_market"],
            "quarter_start_date": pd.to_datetime(["2026-07-01", "2026-07-01"]),
            "win_rate": [0.34, 0.18],
            "closed_deals": [40, 52],
            "won_amount": [900_000.0, 300_000.0],
            "win_rate_change_points": [2.0, -12.5],
        }
    )
    churn = pd.DataFrame({"as_of_date": dates, "churn_rate": [0.2, 0.25], "customers": [90, 95]})
    return {
        "pipeline": pipeline,
        "segments": segments,
        "customer_churn": churn,
        "account_churn": churn.iloc[0:0],
    }


def test_report_flags_low_pipeline_health_and_declining_segments() -> None:
    report = build_report(_frames(), dt.date(2026, 11, 2))
    assert "Pipeline health index 61/100 (below the floor of 65" in report.headlines[0]
    assert any("mid_market win rate down 12.5 points" in line for line in report.headlines)
    assert not any("enterprise" in line for line in report.headlines)
    markdown = render_markdown(report)
    assert markdown.startswith("# Executive report, week ending 2026-11-02")
    assert "| mid_market | 18.0% | -12.5 | 52 |" in markdown
    assert "- customers: 25.0% churned" in markdown
    assert "- accounts: no matured churn labels yet." in markdown


def test_report_without_crm_data_says_so() -> None:
    frames = {name: frame.iloc[0:0] for name, frame in _frames().items()}
    markdown = render_markdown(build_report(frames, dt.date(2026, 11, 2)))
    assert "No pipeline data (no CRM source loaded)." in markdown
    assert "- Nothing flagged." in markdown


def test_write_report_renders_markdown_and_png_charts(tmp_path: Path) -> None:
    report = build_report(_frames(), dt.date(2026, 11, 2))
    path = write_report(report, tmp_path / "week")
    assert path.read_text().count("![") == len(report.charts) == 3
    for stem in ("pipeline_health", "segment_win_rates", "churn_rates"):
        png = tmp_path / "week" / f"{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
