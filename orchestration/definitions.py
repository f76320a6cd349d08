"""Everything Dagster shows: gathered from the domain modules, bound to one warehouse.

``dagster dev -m orchestration.definitions`` loads ``defs`` (warehouse from the environment);
``orchestration.launch`` builds the same definitions for an explicit ``Settings``.
"""

from __future__ import annotations

import dagster as dg

from orchestration.alerts import build_alert_defs
from orchestration.automations import build_automation_defs
from orchestration.crm import build_crm_defs
from orchestration.dbt import DBT_PROJECT, build_dbt_defs
from orchestration.exports import build_export_defs
from orchestration.ingestion import build_ingestion_defs
from orchestration.ml import build_ml_defs
from orchestration.monitoring import build_monitoring_defs
from orchestration.ops_thresholds import build_ops_threshold_defs
from orchestration.reports import build_report_defs
from orchestration.resources import build_resources
from orchestration.schedules import build_schedule_defs
from orchestration.sensors import build_sensor_defs
from warehouse import adapter_for
from warehouse.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    # A warehouse that takes one writer (a DuckDB file) runs steps one after another.
    one_writer = adapter_for(settings).single_writer
    executor = dg.in_process_executor if one_writer else dg.multiprocess_executor
    return dg.Definitions.merge(
        build_ingestion_defs(),
        build_dbt_defs(),
        build_ml_defs(),
        build_monitoring_defs(),
        build_alert_defs(),
        build_automation_defs(),
        build_crm_defs(),
        build_report_defs(),
        build_export_defs(),
        build_schedule_defs(settings.target),
        build_sensor_defs(),
        build_ops_threshold_defs(),
        dg.Definitions(resources=build_resources(settings, DBT_PROJECT), executor=executor),
    )


defs = build_definitions(Settings.from_env())
