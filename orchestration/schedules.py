"""Every schedule (UTC): the daily pipeline, the alert digest catch-up, the weekly executive
report and the monthly retraining; and the pipeline jobs: the daily one scores with the
champions, the full one (a warehouse's first run, ``ciw train``) also trains."""

import dagster as dg

from orchestration.alerts import alert_digest_job
from orchestration.ml import TRAINING_SELECTION, model_retraining_job
from orchestration.reports import REPORTS_GROUP, weekly_executive_report_job
from orchestration.resources import WAREHOUSE_WRITER_TAGS

DAILY_PIPELINE_CRON = "0 6 * * *"
ALERT_DIGEST_CRON = "0 9 * * *"
WEEKLY_REPORT_CRON = "0 8 * * 1"
MONTHLY_RETRAINING_CRON = "0 4 1 * *"
TIMEZONE = "UTC"

DAILY_JOB = "daily_pipeline"
FULL_JOB = "full_pipeline"
EVERYTHING_BUT_REPORTS = dg.AssetSelection.all() - dg.AssetSelection.groups(REPORTS_GROUP)

#: One day's work: raw loads, every dbt model and its tests, Feast, scoring with the champions,
#: the scored marts, alerts and their delivery. Training is left to the full pipeline.
daily_pipeline_job = dg.define_asset_job(
    DAILY_JOB,
    tags=WAREHOUSE_WRITER_TAGS,
    selection=EVERYTHING_BUT_REPORTS - TRAINING_SELECTION,
    description="Load every source, build and test the dbt layers, refresh Feast, score with "
    "the champions, build the scored marts and alerts, notify. Trains nothing.",
)

#: The daily pipeline with training: a warehouse's first run, and ``ciw train``.
full_pipeline_job = dg.define_asset_job(
    FULL_JOB,
    tags=WAREHOUSE_WRITER_TAGS,
    selection=EVERYTHING_BUT_REPORTS,
    description="The daily pipeline plus training sets, training and registration of every "
    "model: a warehouse's first run, and `ciw train`.",
)


@dg.schedule(
    name="daily_pipeline_schedule",
    job=daily_pipeline_job,
    cron_schedule=DAILY_PIPELINE_CRON,
    execution_timezone=TIMEZONE,
)
def daily_pipeline_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """The day's partition (the jobs' dbt assets are daily-partitioned): as of today, UTC."""
    day = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=day, partition_key=day)


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
        jobs=[daily_pipeline_job, full_pipeline_job],
        schedules=[
            daily_pipeline_schedule,
            alert_digest_schedule,
            weekly_report_schedule,
            monthly_retraining_schedule,
        ],
    )
