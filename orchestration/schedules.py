"""Every schedule (UTC): the daily pipeline, the alert digest catch-up, the weekly executive
report and the monthly retraining; and the daily pipeline job, which is the whole graph."""

import dagster as dg

from orchestration.alerts import alert_digest_job
from orchestration.ml import model_retraining_job
from orchestration.reports import REPORTS_GROUP, weekly_executive_report_job
from orchestration.resources import WAREHOUSE_WRITER_TAGS

DAILY_PIPELINE_CRON = "0 6 * * *"
ALERT_DIGEST_CRON = "0 9 * * *"
WEEKLY_REPORT_CRON = "0 8 * * 1"
MONTHLY_RETRAINING_CRON = "0 4 1 * *"
TIMEZONE = "UTC"

#: The whole graph but the weekly report: raw loads, every dbt model and its tests, and more.
daily_pipeline_job = dg.define_asset_job(
    "daily_pipeline",
    tags=WAREHOUSE_WRITER_TAGS,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(REPORTS_GROUP),
    description="Load every source, build and test the dbt layers, refresh Feast, train and "
    "register the models, score, build the scored marts and alerts, notify.",
)

daily_pipeline_schedule = dg.ScheduleDefinition(
    name="daily_pipeline_schedule",
    job=daily_pipeline_job,
    cron_schedule=DAILY_PIPELINE_CRON,
    execution_timezone=TIMEZONE,
)
alert_digest_schedule = dg.ScheduleDefinition(
    name="alert_digest_schedule",
    job=alert_digest_job,
    cron_schedule=ALERT_DIGEST_CRON,
    execution_timezone=TIMEZONE,
)
weekly_report_schedule = dg.ScheduleDefinition(
    name="weekly_executive_report_schedule",
    job=weekly_executive_report_job,
    cron_schedule=WEEKLY_REPORT_CRON,
    execution_timezone=TIMEZONE,
)
monthly_retraining_schedule = dg.ScheduleDefinition(
    name="monthly_retraining_schedule",
    job=model_retraining_job,
    cron_schedule=MONTHLY_RETRAINING_CRON,
    execution_timezone=TIMEZONE,
)


def build_schedule_defs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[daily_pipeline_job],
        schedules=[
            daily_pipeline_schedule,
            alert_digest_schedule,
            weekly_report_schedule,
            monthly_retraining_schedule,
        ],
    )
