"""Jobs and schedules: daily pipeline, weekly executive report, monthly retraining (all UTC)."""

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from orchestration.dbt import dbt_models
from orchestration.reports import REPORTS_GROUP, weekly_executive_report_job

DAILY_PIPELINE_CRON = "0 6 * * *"
WEEKLY_REPORT_CRON = "0 8 * * 1"
MONTHLY_RETRAINING_CRON = "0 4 1 * *"
TIMEZONE = "UTC"

#: The whole graph but the weekly report: raw loads, every dbt model and its tests, and more.
daily_pipeline_job = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(REPORTS_GROUP),
    description="Load every source, then build and test every dbt model.",
)

#: Until the ml assets exist, retraining rebuilds the layers the models train on: the dbt
#: features and marts (plus staging and intermediate upstream, so they see fresh data).
RETRAINING_SELECTION = build_dbt_asset_selection(
    [dbt_models], dbt_select="fqn:customer_intelligence.features fqn:customer_intelligence.marts"
).upstream() - dg.AssetSelection.groups("raw")

monthly_retraining_job = dg.define_asset_job(
    "monthly_retraining",
    selection=RETRAINING_SELECTION,
    description="Placeholder until the ml assets land: rebuild the feature and mart layers.",
)


daily_pipeline_schedule = dg.ScheduleDefinition(
    name="daily_pipeline_schedule",
    job=daily_pipeline_job,
    cron_schedule=DAILY_PIPELINE_CRON,
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
    job=monthly_retraining_job,
    cron_schedule=MONTHLY_RETRAINING_CRON,
    execution_timezone=TIMEZONE,
)


def build_schedule_defs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[daily_pipeline_job, monthly_retraining_job],
        schedules=[daily_pipeline_schedule, weekly_report_schedule, monthly_retraining_schedule],
    )
