"""Every sensor: run failure → ops message; drift, a performance drop or feedback → retraining.

``ops_message_on_run_failure`` tells the on-call Slack channel (or the outbox file) which run
failed and where to look. ``retraining_sensor`` reads what the monitoring checks stored
(``ml.drift_results``, ``ml.model_performance``) and ``ops.alert_feedback``, and starts
``model_retraining`` with the reason in the run tags; its cursor remembers each (model, cause)
it acted on, for the cool-down. The logic lives in ``notifier`` and ``ml.monitoring``.
"""

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg

from ml.contracts import MODEL_SPECS
from ml.monitoring.retraining import RetrainingSignal
from ml.monitoring.settings import MonitoringSettings
from notifier.ops import build_ops_message
from orchestration.ml import RETRAINING_JOB
from orchestration.resources import WarehouseResource
from warehouse.settings import Settings

logger = logging.getLogger("ciw.ops")
SENSOR_NAME = "retraining_sensor"
LastTriggers = dict[str, dict[str, datetime]]


@dg.run_failure_sensor(
    name="ops_message_on_run_failure",
    description="Sends an ops message to Slack (CIW_OPS_CHANNEL, else SLACK_DEFAULT_CHANNEL) for "
    "every failed run; to the local outbox file when no Slack credentials are set.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
)
def ops_message_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key]
    message = build_ops_message(
        job_name=context.dagster_run.job_name,
        run_id=context.dagster_run.run_id,
        failed_steps=failed_steps,
        error=context.failure_event.message,
    )
    context.log.warning(message)
    logger.warning(message)
    from notifier.config import NotifierError
    from notifier.ops import send_ops_message

    try:
        where = send_ops_message(Settings.from_env(), message, key=context.dagster_run.run_id)
    except NotifierError as error:  # Slack down or a bad token: the log line above remains
        logger.error("ops message not delivered: %s", error)
        return
    logger.info(where)


@dataclass(frozen=True)
class SensorMemory:
    """The sensor's cursor: when each (model, cause) last started a retraining, and for which
    champion version."""

    last_triggers: LastTriggers = field(default_factory=dict)
    acted_versions: dict[str, dict[str, str]] = field(default_factory=dict)


def read_cursor(cursor: str | None) -> SensorMemory:
    if not cursor:
        return SensorMemory()
    try:
        stored = json.loads(cursor)
        triggers = {
            model: {cause: datetime.fromisoformat(moment) for cause, moment in causes.items()}
            for model, causes in stored["last_triggers"].items()
        }
        versions = {
            model: {str(cause): str(version) for cause, version in causes.items()}
            for model, causes in stored.get("acted_versions", {}).items()
        }
        return SensorMemory(triggers, versions)
    except (ValueError, KeyError, TypeError, AttributeError):
        return SensorMemory()  # an unreadable cursor forgets; the run keys still stop duplicates


def write_cursor(memory: SensorMemory) -> str:
    return json.dumps(
        {
            "last_triggers": {
                model: {cause: moment.isoformat() for cause, moment in causes.items()}
                for model, causes in memory.last_triggers.items()
            },
            "acted_versions": memory.acted_versions,
        },
        sort_keys=True,
    )


def remember(
    memory: SensorMemory, chosen: Sequence[RetrainingSignal], now: datetime
) -> SensorMemory:
    triggers = {model: dict(causes) for model, causes in memory.last_triggers.items()}
    versions = {model: dict(causes) for model, causes in memory.acted_versions.items()}
    for signal in chosen:
        triggers.setdefault(signal.model_name, {})[signal.cause] = now
        if signal.model_version:
            versions.setdefault(signal.model_name, {})[signal.cause] = signal.model_version
    return SensorMemory(triggers, versions)


def run_key(chosen: Sequence[RetrainingSignal], cooldown_days: int) -> str:
    """Cause + model + window: the same evidence (or feedback in the same cool-down window)
    always gives the same key, so Dagster will not launch it twice even without the cursor."""
    days = max(cooldown_days, 1)
    parts = []
    for signal in chosen:
        if signal.cause == "feedback":
            evidence = f"window{signal.observed_at.date().toordinal() // days}"
        else:
            evidence = signal.evidence_id or signal.observed_at.isoformat()
        parts.append(f"{signal.model_name}/{signal.cause}/{evidence}")
    return "retrain:" + ",".join(parts)


def run_tags(chosen: Sequence[RetrainingSignal]) -> dict[str, str]:
    reason = "; ".join(f"{signal.model_name} {signal.cause}: {signal.detail}" for signal in chosen)
    return {
        "ciw/trigger": SENSOR_NAME,
        "ciw/retrain_models": ",".join(sorted({signal.model_name for signal in chosen})),
        "ciw/retrain_causes": ",".join(sorted({signal.cause for signal in chosen})),
        "ciw/retrain_reason": reason[:1000],
    }


def last_successful_retraining(instance: dg.DagsterInstance) -> datetime | None:
    """When the newest successful ``model_retraining`` run ended (naive UTC)."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=RETRAINING_JOB, statuses=[dg.DagsterRunStatus.SUCCESS]),
        limit=1,
    )
    if not records or records[0].end_time is None:
        return None
    return datetime.fromtimestamp(records[0].end_time, UTC).replace(tzinfo=None)


def feedback_since(
    last_triggers: LastTriggers, last_retrained: datetime | None
) -> dict[str, datetime | None]:
    """Feedback counts from the model's last retraining, whatever started it."""
    since: dict[str, datetime | None] = {}
    for model in MODEL_SPECS:
        moments = list(last_triggers.get(model, {}).values())
        if last_retrained is not None:
            moments.append(last_retrained)
        since[model] = max(moments) if moments else None
    return since


def collect_signals(
    settings: Settings,
    since: Mapping[str, datetime | None],
    limits: MonitoringSettings,
    now: datetime,
) -> list[RetrainingSignal]:
    from ml.monitoring.feedback import read_feedback
    from ml.monitoring.retraining import (
        feedback_signals,
        latest_drift_signals,
        latest_performance_signals,
    )

    moments = list(since.values())
    # Read only what some model has not seen yet: from the oldest "since", or everything.
    oldest = None if not moments or None in moments else min(m for m in moments if m is not None)
    feedback = read_feedback(settings, since=oldest)
    return [
        *latest_drift_signals(settings),
        *latest_performance_signals(settings),
        *feedback_signals(feedback, since, threshold=limits.feedback_rows, now=now),
    ]


def _warehouse_errors() -> tuple[type[Exception], ...]:
    import duckdb
    import psycopg

    from warehouse import WarehouseUnavailable

    return (WarehouseUnavailable, duckdb.IOException, psycopg.OperationalError)


@dg.sensor(
    name=SENSOR_NAME,
    job_name=RETRAINING_JOB,
    minimum_interval_seconds=15 * 60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts model_retraining when a drift check found drift, a performance check found a "
        "drop on matured labels, or enough new alert feedback arrived; one cause retrains a "
        "model at most once per cool-down (CIW_MONITOR_COOLDOWN_DAYS, default 7)."
    ),
)
def retraining_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult:
    from ml.monitoring.retraining import plan_retraining

    limits = MonitoringSettings.from_env()
    now = datetime.now(UTC).replace(tzinfo=None)
    memory = read_cursor(context.cursor)
    since = feedback_since(memory.last_triggers, last_successful_retraining(context.instance))
    try:
        signals = collect_signals(warehouse.settings(), since, limits, now)
    except _warehouse_errors() as error:  # a run holds the DuckDB file: try at the next tick
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "busy"
        return dg.SensorResult(skip_reason=f"warehouse not readable now: {first_line}")
    chosen = plan_retraining(
        signals,
        memory.last_triggers,
        now=now,
        cooldown=timedelta(days=limits.cooldown_days),
        acted_versions=memory.acted_versions,
    )
    if not chosen:
        waiting = ", ".join(f"{s.model_name} {s.cause}" for s in signals)
        reason = (
            f"no new retraining cause; in cool-down or already acted on: {waiting}"
            if signals
            else "no drift, performance drop or new feedback found"
        )
        return dg.SensorResult(skip_reason=reason, cursor=write_cursor(memory))
    context.log.info(run_tags(chosen)["ciw/retrain_reason"])
    request = dg.RunRequest(run_key=run_key(chosen, limits.cooldown_days), tags=run_tags(chosen))
    return dg.SensorResult(
        run_requests=[request], cursor=write_cursor(remember(memory, chosen, now))
    )


def build_sensor_defs() -> dg.Definitions:
    """The sensors; the definitions they join must hold the ``model_retraining`` job."""
    return dg.Definitions(sensors=[ops_message_on_run_failure, retraining_sensor])
