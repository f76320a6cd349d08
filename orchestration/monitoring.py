"""Monitoring in Dagster: drift and performance checks on the predictions, and retraining.

Each model gets two asset checks on ``["ml", "predictions"]`` — ``<model>_drift`` (Evidently,
HTML report linked in the metadata) and ``<model>_performance`` (matured labels vs training) —
so their status shows beside the predictions in the UI. ``retraining_sensor`` reads what the
checks stored (``ml.drift_results``, ``ml.model_performance``) and ``ops.alert_feedback``, and
starts ``model_retraining`` with the reason in the run tags. The logic lives in
``ml.monitoring``; this module only wires it.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg

from ml.contracts import MODEL_SPECS
from ml.monitoring.champion import ChampionSource, NothingToCheck
from ml.monitoring.retraining import RetrainingSignal
from ml.monitoring.settings import MonitoringSettings
from orchestration.resources import WarehouseResource
from warehouse.settings import Settings

PREDICTIONS_KEY = dg.AssetKey(["ml", "predictions"])
RETRAINING_JOB = "model_retraining"
#: The checks read the warehouse and the registry: retry when it was briefly out of reach.
CHECK_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)
SENSOR_NAME = "retraining_sensor"
#: Models whose labels mature, so their performance can be measured after the fact.
PERFORMANCE_MODELS = tuple(
    name for name, spec in MODEL_SPECS.items() if spec.kind in ("classifier", "regressor")
)

RegistryFactory = Callable[[Settings], ChampionSource]
LastTriggers = dict[str, dict[str, datetime]]


def default_registry(settings: Settings) -> ChampionSource:
    from ml.registry import ModelRegistry

    registry: ChampionSource = ModelRegistry(settings)
    return registry


def _skipped(reason: str) -> dg.AssetCheckResult:
    """Nothing to compare yet (first run, no champion): passed, and saying so."""
    return dg.AssetCheckResult(
        passed=True, description=f"skipped: {reason}", metadata={"skipped": reason}
    )


def build_drift_check(
    model_name: str, registry_factory: RegistryFactory
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=PREDICTIONS_KEY,
        retry_policy=CHECK_RETRY,
        name=f"{model_name}_drift",
        description=(
            f"Evidently drift of {model_name}'s features and score: latest scored frame vs the "
            "champion's training snapshot (normed Wasserstein for numbers, PSI for categories)."
        ),
    )
    def drift_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        from ml.monitoring.drift_results import run_drift_check

        settings = warehouse.settings()
        try:
            result = run_drift_check(
                settings, registry_factory(settings), model_name, run_id=context.run.run_id
            )
        except NothingToCheck as reason:
            return _skipped(str(reason))
        table = "\n".join(
            f"| {row.column} | {row.stattest} | {row.drift_score:.4f} | {row.threshold:g} | "
            f"{'yes' if row.is_drifted else 'no'} |"
            for row in [*([result.score] if result.score else []), *result.columns]
        )
        metadata: dict[str, dg.MetadataValue] = {
            "model_version": dg.MetadataValue.text(result.model_version),
            "share_drifted": dg.MetadataValue.float(result.share_drifted),
            "drifted_columns": dg.MetadataValue.text(", ".join(result.drifted_columns) or "none"),
            "score_drift": dg.MetadataValue.float(
                result.score.drift_score if result.score else float("nan")
            ),
            "reference_rows": dg.MetadataValue.int(result.reference_rows),
            "current_rows": dg.MetadataValue.int(result.current_rows),
            "columns": dg.MetadataValue.md(
                "| column | test | score | threshold | drifted |\n|---|---|---|---|---|\n" + table
            ),
        }
        if result.report_path is not None:
            metadata["report"] = dg.MetadataValue.path(str(result.report_path))
        return dg.AssetCheckResult(
            passed=not result.is_drifted,
            severity=dg.AssetCheckSeverity.WARN,
            description=result.summary(),
            metadata=metadata,
        )

    return drift_check


def build_performance_check(
    model_name: str, registry_factory: RegistryFactory
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=PREDICTIONS_KEY,
        retry_policy=CHECK_RETRY,
        name=f"{model_name}_performance",
        description=(
            f"{model_name}'s {MODEL_SPECS[model_name].primary_metric} on matured labels against "
            "the champion's value at training."
        ),
    )
    def performance_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        from ml.monitoring.performance import run_performance_check

        settings = warehouse.settings()
        try:
            result = run_performance_check(
                settings,
                registry_factory(settings),
                model_name,
                run_id=context.run.run_id,
                limits=MonitoringSettings.from_env(),
            )
        except NothingToCheck as reason:
            return _skipped(str(reason))
        metadata: dict[str, dg.MetadataValue] = {
            "model_version": dg.MetadataValue.text(result.model_version),
            "status": dg.MetadataValue.text(result.status),
            "metric": dg.MetadataValue.text(result.metric_name),
            "matured_rows": dg.MetadataValue.int(result.matured_rows),
            "tolerance": dg.MetadataValue.float(result.tolerance),
        }
        if result.current_value is not None:
            metadata["current_value"] = dg.MetadataValue.float(result.current_value)
        if result.reference_value is not None:
            metadata["value_at_training"] = dg.MetadataValue.float(result.reference_value)
        return dg.AssetCheckResult(
            passed=not result.is_degraded,
            severity=dg.AssetCheckSeverity.WARN,
            description=result.summary(),
            metadata=metadata,
        )

    return performance_check


# --- the retraining sensor ---------------------------------------------------------------------


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


def build_monitoring_defs(registry_factory: RegistryFactory | None = None) -> dg.Definitions:
    """Drift and performance checks per model on ``["ml", "predictions"]`` and the sensor.

    The lead's definitions must hold the ``["ml", "predictions"]`` asset and the
    ``model_retraining`` job the sensor starts.
    """
    factory = registry_factory or default_registry
    checks = [build_drift_check(model, factory) for model in MODEL_SPECS]
    checks += [build_performance_check(model, factory) for model in PERFORMANCE_MODELS]
    return dg.Definitions(asset_checks=checks, sensors=[retraining_sensor])
