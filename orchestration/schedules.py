"""Every schedule (UTC): the daily pipeline, the alert digest catch-up, the weekly executive
report and the monthly retraining; and the pipeline jobs: the daily one scores with the
champions, the full one (a warehouse's first run, ``ciw train``) also trains."""

from typing import Any

import dagster as dg

from orchestration.alerts import NOTIFICATIONS_KEY, alert_digest_job
from orchestration.automations import AUTOMATIONS_KEY
from orchestration.crm import CRM_WRITEBACK_KEY
from orchestration.ml import TRAINING_SELECTION, model_retraining_job
from orchestration.reports import REPORTS_GROUP, weekly_executive_report_job
from orchestration.resources import warehouse_writer_job

DAILY_PIPELINE_CRON = "0 6 * * *"
ALERT_DIGEST_CRON = "0 9 * * *"
WEEKLY_REPORT_CRON = "0 8 * * 1"
MONTHLY_RETRAINING_CRON = "0 4 1 * *"
TIMEZONE = "UTC"

DAILY_JOB = "daily_pipeline"
FULL_JOB = "full_pipeline"
SPARK_DAILY_JOB = "daily_pipeline_spark"
SPARK_FULL_JOB = "full_pipeline_spark"
EVERYTHING_BUT_REPORTS = dg.AssetSelection.all() - dg.AssetSelection.groups(REPORTS_GROUP)
#: The steps that act on the outside world and keep exactly-once logs of it (the alerts'
#: delivery, the automations, the CRM writeback). Their logs are updated row by row, which
#: Spark's Parquet tables cannot do: the Spark jobs stop at marts.alerts and the scored marts.
DELIVERY_SELECTION = dg.AssetSelection.assets(
    NOTIFICATIONS_KEY, AUTOMATIONS_KEY, CRM_WRITEBACK_KEY
).downstream()
#: What the summary of a Spark run says about the steps its jobs leave out.
SPARK_LEAVES_OUT = (
    "on Spark the run ends at marts.alerts and the scored marts: delivering the alerts "
    "(Slack, Teams, email), the automations and the CRM writeback keep exactly-once logs "
    "updated row by row, which Spark's Parquet tables cannot do; they run on DuckDB and "
    "PostgreSQL (docs/spark.md)"
)

#: One day's work: raw loads, every dbt model and its tests, Feast, scoring with the champions,
#: the scored marts, alerts and their delivery. Training is left to the full pipeline.
daily_pipeline_job = warehouse_writer_job(
    DAILY_JOB,
    selection=EVERYTHING_BUT_REPORTS - TRAINING_SELECTION,
    description="Load every source, build and test the dbt layers, refresh Feast, score with "
    "the champions, build the scored marts and alerts, notify. Trains nothing.",
)

#: The daily pipeline with training: a warehouse's first run, and ``ciw train``.
full_pipeline_job = warehouse_writer_job(
    FULL_JOB,
    selection=EVERYTHING_BUT_REPORTS,
    description="The daily pipeline plus training sets, training and registration of every "
    "model: a warehouse's first run, and `ciw train`.",
)

#: The same two pipelines on Spark, without the delivery steps (see DELIVERY_SELECTION).
spark_daily_pipeline_job = warehouse_writer_job(
    SPARK_DAILY_JOB,
    selection=EVERYTHING_BUT_REPORTS - TRAINING_SELECTION - DELIVERY_SELECTION,
    description="The daily pipeline on Spark: up to the alerts mart; nothing delivered.",
)
spark_full_pipeline_job = warehouse_writer_job(
    SPARK_FULL_JOB,
    selection=EVERYTHING_BUT_REPORTS - DELIVERY_SELECTION,
    description="The full pipeline (with training) on Spark: up to the alerts mart.",
)


def _daily_schedule(job: Any) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_pipeline_schedule",
        job=job,
        cron_schedule=DAILY_PIPELINE_CRON,
        execution_timezone=TIMEZONE,
    )
    def daily_pipeline_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """The day's partition (the jobs' dbt assets are daily-partitioned): as of today, UTC."""
        day = context.scheduled_execution_time.date().isoformat()
        return dg.RunRequest(run_key=day, partition_key=day)

    return daily_pipeline_schedule


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


def build_schedule_defs(target: str = "duckdb") -> dg.Definitions:
    """The schedules of a warehouse: on Spark the daily run is the Spark job, and the alert
    digest, which delivers, is not scheduled (see DELIVERY_SELECTION)."""
    spark = target == "spark"
    daily = _daily_schedule(spark_daily_pipeline_job if spark else daily_pipeline_job)
    return dg.Definitions(
        jobs=[
            daily_pipeline_job,
            full_pipeline_job,
            spark_daily_pipeline_job,
            spark_full_pipeline_job,
        ],
        schedules=[
            daily,
            *([] if spark else [alert_digest_schedule]),
            weekly_report_schedule,
            monthly_retraining_schedule,
        ],
    )
