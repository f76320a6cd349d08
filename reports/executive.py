"""The weekly executive report: pipeline, segment and churn trends, as Markdown with PNG charts.

Pure functions over DataFrames read from the marts; ``write_report`` is the only IO.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: A segment whose win rate fell by more than this many points quarter on quarter is flagged.
WIN_RATE_DECLINE_POINTS = 10.0
#: The pipeline health index under which the report raises a flag (the seeds' CRO alert).
PIPELINE_HEALTH_FLOOR = 65.0

QUERIES = {
    "pipeline": (
        "select as_of_date, segment, pipeline_health_index, open_pipeline_amount, win_rate_90d "
        "from marts.pipeline_health order by as_of_date, segment"
    ),
    "segments": (
        "select segment, quarter_start_date, win_rate, closed_deals, won_amount, "
        "win_rate_change_points from marts.segment_performance "
        "where is_complete_quarter order by quarter_start_date, segment"
    ),
    "customer_churn": (
        "select as_of_date, avg(case when is_churned then 1.0 else 0.0 end) as churn_rate, "
        "count(*) as customers from features.customer_churn_labels "
        "group by as_of_date order by as_of_date"
    ),
    "account_churn": (
        "select as_of_date, avg(case when is_churned then 1.0 else 0.0 end) as churn_rate, "
        "count(*) as accounts from features.account_churn_labels "
        "group by as_of_date order by as_of_date"
    ),
    "forecast": (
        "select as_of_date, forecast_month, segment, expected_won_amount, lower_won_amount, "
        "upper_won_amount, realised_won_amount from marts.pipeline_forecast "
        "order by as_of_date, forecast_month, segment"
    ),
}


@dataclass
class ExecutiveReport:
    week_ending: dt.date
    headlines: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (title, markdown body)
    charts: dict[str, pd.DataFrame] = field(default_factory=dict)  # file stem -> series


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def pipeline_section(pipeline: pd.DataFrame, report: ExecutiveReport) -> None:
    if pipeline.empty:
        report.sections.append(("Pipeline", "No pipeline data (no CRM source loaded)."))
        return
    latest_date = pipeline["as_of_date"].max()
    latest = pipeline[pipeline["as_of_date"] == latest_date].set_index("segment")
    overall = float(latest.loc["all", "pipeline_health_index"]) if "all" in latest.index else None
    rows = ["| segment | health index | open pipeline | win rate (90 d) |", "|---|---:|---:|---:|"]
    for segment, row in latest.sort_index().iterrows():
        rows.append(
            f"| {segment} | {row['pipeline_health_index']:.0f} | "
            f"{row['open_pipeline_amount']:,.0f} | {_percent(float(row['win_rate_90d'] or 0))} |"
        )
    report.sections.append(("Pipeline health", "\n".join(rows)))
    if overall is not None:
        flag = (
            " (below the floor of 65: review coverage and stalled deals)"
            if (overall < PIPELINE_HEALTH_FLOOR)
            else ""
        )
        report.headlines.append(f"Pipeline health index {overall:.0f}/100{flag}.")
    trend = pipeline.pivot_table(
        index="as_of_date", columns="segment", values="pipeline_health_index"
    )
    report.charts["pipeline_health"] = trend


def segment_section(segments: pd.DataFrame, report: ExecutiveReport) -> None:
    if segments.empty:
        report.sections.append(("Segments", "No complete quarter of closed deals yet."))
        return
    last_quarter = segments["quarter_start_date"].max()
    latest = segments[segments["quarter_start_date"] == last_quarter].sort_values("segment")
    rows = ["| segment | win rate | change (points) | closed deals |", "|---|---:|---:|---:|"]
    for _, row in latest.iterrows():
        change = row["win_rate_change_points"]
        change_text = "n/a" if pd.isna(change) else f"{change:+.1f}"
        rows.append(
            f"| {row['segment']} | {_percent(float(row['win_rate'] or 0))} | {change_text} | "
            f"{int(row['closed_deals'])} |"
        )
    title = f"Segment win rates, quarter starting {pd.Timestamp(last_quarter).date()}"
    report.sections.append((title, "\n".join(rows)))
    declining = latest[latest["win_rate_change_points"] < -WIN_RATE_DECLINE_POINTS]
    for _, row in declining.iterrows():
        report.headlines.append(
            f"{row['segment']} win rate down {abs(row['win_rate_change_points']):.1f} points "
            "quarter on quarter."
        )
    report.charts["segment_win_rates"] = segments.pivot_table(
        index="quarter_start_date", columns="segment", values="win_rate"
    )


def churn_section(customer: pd.DataFrame, account: pd.DataFrame, report: ExecutiveReport) -> None:
    lines = []
    for label, frame in (("customers", customer), ("accounts", account)):
        if frame.empty:
            lines.append(f"- {label}: no matured churn labels yet.")
            continue
        latest = frame.iloc[-1]
        lines.append(
            f"- {label}: {_percent(float(latest['churn_rate']))} churned in the horizon after "
            f"{pd.Timestamp(latest['as_of_date']).date()}"
        )
    report.sections.append(("Churn", "\n".join(lines)))
    series = {
        label: frame.set_index("as_of_date")["churn_rate"]
        for label, frame in (("customers", customer), ("accounts", account))
        if not frame.empty
    }
    if series:
        report.charts["churn_rates"] = pd.DataFrame(series)


def forecast_section(forecast: pd.DataFrame | None, report: ExecutiveReport) -> None:
    """Expected closed-won revenue per month (all segments) at the latest as-of date, with its
    interval; the chart draws the interval around the expected line."""
    if forecast is None or forecast.empty:
        report.sections.append(("Revenue forecast", "No forecast yet (too little deal history)."))
        return
    latest_date = forecast["as_of_date"].max()
    latest = forecast[(forecast["as_of_date"] == latest_date) & (forecast["segment"] == "all")]
    rows = ["| month | expected won | interval (90%) |", "|---|---:|---:|"]
    for _, row in latest.sort_values("forecast_month").iterrows():
        rows.append(
            f"| {pd.Timestamp(row['forecast_month']):%Y-%m} | {row['expected_won_amount']:,.0f} | "
            f"{row['lower_won_amount']:,.0f} - {row['upper_won_amount']:,.0f} |"
        )
    title = f"Revenue forecast as of {pd.Timestamp(latest_date).date()}"
    report.sections.append((title, "\n".join(rows)))
    total = float(latest["expected_won_amount"].sum())
    report.headlines.append(
        f"Expected closed-won revenue, next {len(latest)} months: {total:,.0f}."
    )
    chart = latest.set_index("forecast_month")[
        ["expected_won_amount", "lower_won_amount", "upper_won_amount"]
    ]
    report.charts["revenue_forecast"] = chart.rename(
        columns={
            "expected_won_amount": "expected",
            "lower_won_amount": "lower (90%)",
            "upper_won_amount": "upper (90%)",
        }
    )


def build_report(frames: dict[str, pd.DataFrame], week_ending: dt.date) -> ExecutiveReport:
    report = ExecutiveReport(week_ending=week_ending)
    pipeline_section(frames["pipeline"], report)
    segment_section(frames["segments"], report)
    churn_section(frames["customer_churn"], frames["account_churn"], report)
    forecast_section(frames.get("forecast"), report)
    return report


def render_markdown(report: ExecutiveReport) -> str:
    lines = [f"# Executive report, week ending {report.week_ending.isoformat()}", ""]
    lines += ["## Headlines", ""]
    lines += [f"- {headline}" for headline in report.headlines] or ["- Nothing flagged."]
    for title, body in report.sections:
        lines += ["", f"## {title}", "", body]
    for stem in report.charts:
        lines += ["", f"![{stem.replace('_', ' ')}]({stem}.png)"]
    return "\n".join(lines) + "\n"


def write_report(report: ExecutiveReport, directory: Path) -> Path:
    """Write ``executive_report.md`` and one PNG per chart into ``directory``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    for stem, frame in report.charts.items():
        figure, axis = plt.subplots(figsize=(8, 4))
        if {"lower (90%)", "upper (90%)"} <= set(frame.columns):  # an interval: shade it
            months = pd.to_datetime(frame.index)
            axis.fill_between(
                months, frame["lower (90%)"], frame["upper (90%)"], alpha=0.25, label="90%"
            )
            axis.plot(months, frame["expected"], marker="o", label="expected")
            axis.legend()
        else:
            frame.plot(ax=axis, marker="o")
        axis.set_title(stem.replace("_", " "))
        axis.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(directory / f"{stem}.png", dpi=100)
        plt.close(figure)
    path = directory / "executive_report.md"
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
