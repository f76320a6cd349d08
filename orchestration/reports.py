"""The weekly executive report as an asset downstream of the marts it reads."""

import datetime as dt

import dagster as dg

from orchestration.dbt import model_key
from orchestration.failures import step_failure
from orchestration.resources import WarehouseResource
from warehouse.paths import DATA_DIR

REPORTS_GROUP = "reports"
REPORT_SOURCES = (
    "pipeline_health",
    "segment_performance",
    "customer_churn_labels",
    "account_churn_labels",
    "pipeline_forecast",
)


class ExecutiveReportConfig(dg.Config):  # type: ignore[misc]
    """``reports_dir`` receives ``executive/<week ending>/``; ``week_ending`` defaults to today."""

    reports_dir: str = str(DATA_DIR / "reports")
    week_ending: str | None = None


@dg.asset(
    group_name=REPORTS_GROUP,
    deps=[model_key(name) for name in REPORT_SOURCES],
    description="Weekly executive report: pipeline, segment and churn trends (Markdown + PNG),"
    " emailed to the CRO and sales leadership when SMTP is configured.",
)
def executive_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: ExecutiveReportConfig
) -> dg.MaterializeResult:
    from pathlib import Path

    from reports.executive import QUERIES, build_report, render_markdown, write_report
    from warehouse import read_frame

    settings = warehouse.settings()
    week_ending = (
        dt.date.fromisoformat(config.week_ending) if config.week_ending else dt.date.today()
    )
    frames = {name: read_frame(settings, sql) for name, sql in QUERIES.items()}
    report = build_report(frames, week_ending)
    path = write_report(report, Path(config.reports_dir) / "executive" / week_ending.isoformat())
    context.log.info(f"executive report written to {path}")
    from notifier.config import NotifierError, SlackDown
    from notifier.executive_email import email_executive_report

    # to the CRO and sales leadership, when SMTP_HOST is set; once per week and person
    with step_failure(retried=SlackDown, final=NotifierError):
        emailed = email_executive_report(settings, report, path.parent)
    context.log.info(f"executive report email: {emailed.summary()}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "headlines": len(report.headlines),
            "preview": dg.MetadataValue.md(render_markdown(report)),
            "emailed_to": emailed.deliveries,
            "email_refused": emailed.refused + emailed.failed,
        }
    )


weekly_executive_report_job = dg.define_asset_job(
    "weekly_executive_report",
    selection=dg.AssetSelection.assets(executive_report),
    description="Weekly executive report: pipeline, segment and churn trends.",
)


def build_report_defs() -> dg.Definitions:
    return dg.Definitions(assets=[executive_report], jobs=[weekly_executive_report_job])
