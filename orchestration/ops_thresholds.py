"""The ops-threshold sensor: the copilot design's alerting thresholds, checked every 15 minutes.

It hands the pipeline runs of its own Dagster instance to ``ml.monitoring.ops_metrics``, which
reads the rest from the warehouse (model checks, API request timings, data quality), and
reports every breach to the ops channel once. It starts no run; its tick says what it found.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import dagster as dg

from ml.monitoring.ops_thresholds import PIPELINE_JOBS, OpsThresholds, RunSummary
from orchestration.resources import WarehouseResource
from orchestration.sensors import _warehouse_errors

logger = logging.getLogger("ciw.ops")
SENSOR_NAME = "ops_thresholds_sensor"

_STATUS = {
    dg.DagsterRunStatus.SUCCESS: "success",
    dg.DagsterRunStatus.FAILURE: "failure",
    dg.DagsterRunStatus.CANCELED: "canceled",
    dg.DagsterRunStatus.STARTED: "started",
}


def _moment(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def pipeline_runs(instance: dg.DagsterInstance, since: datetime) -> list[RunSummary]:
    """The pipeline jobs' runs created since ``since`` (naive UTC), as the checks need them."""
    runs: list[RunSummary] = []
    for job_name in PIPELINE_JOBS:
        records = instance.get_run_records(
            filters=dg.RunsFilter(job_name=job_name, created_after=since.replace(tzinfo=UTC))
        )
        for record in records:
            runs.append(
                RunSummary(
                    run_id=record.dagster_run.run_id,
                    job_name=job_name,
                    status=_STATUS.get(record.dagster_run.status, "other"),
                    started_at=_moment(record.start_time),
                    ended_at=_moment(record.end_time),
                )
            )
    return runs


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=15 * 60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Ops alerts from the copilot design's thresholds (CIW_OPS_*): pipeline failure rate "
        "over 5 % or the daily run 2 h late, ROC-AUC under 0.80, drift over 10 %, API p95 over "
        "500 ms, data quality under 95 %; each breach once to the ops channel."
    ),
)
def ops_thresholds_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SkipReason:
    from ml.monitoring.ops_metrics import check_and_report
    from notifier.config import NotifierError

    thresholds = OpsThresholds.from_env()
    now = datetime.now(UTC).replace(tzinfo=None)
    since = now - timedelta(days=thresholds.pipeline_window_days + 1)
    runs = pipeline_runs(context.instance, since)
    try:
        found, sent = check_and_report(warehouse.settings(), runs, now=now, thresholds=thresholds)
    except NotifierError as error:
        logger.error("ops alert not delivered: %s", error)
        return dg.SkipReason(f"ops alert not delivered (tried again next tick): {error}")
    except _warehouse_errors() as error:  # a run holds the DuckDB file: try at the next tick
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "busy"
        return dg.SkipReason(f"warehouse not readable now: {first_line}")
    for breach, where in sent:
        context.log.warning(breach.text)
        logger.warning("%s (%s)", breach.text, where)
    if not found:
        return dg.SkipReason("every ops metric within its threshold")
    return dg.SkipReason(
        f"{len(found)} threshold(s) breached, {len(sent)} newly reported: "
        + "; ".join(f"{breach.metric} {breach.subject}" for breach in found)
    )


def build_ops_threshold_defs() -> dg.Definitions:
    return dg.Definitions(sensors=[ops_thresholds_sensor])
