"""Monitoring in Dagster: drift and performance checks on the predictions.

Each model gets two asset checks on ``["ml", "predictions"]`` — ``<model>_drift`` (Evidently,
HTML report linked in the metadata) and ``<model>_performance`` (matured labels vs training) —
so their status shows beside the predictions in the UI. What they store is what the retraining
sensor (``orchestration.sensors``) reads. The logic lives in ``ml.monitoring``; this module only
wires it.
"""

from collections.abc import Callable

import dagster as dg

from ml.contracts import MODEL_SPECS
from ml.monitoring.champion import ChampionSource, NothingToCheck
from ml.monitoring.settings import MonitoringSettings
from orchestration.ml import PREDICTIONS_KEY
from orchestration.resources import WarehouseResource
from warehouse.settings import Settings

#: The checks read the warehouse and the registry: retry when it was briefly out of reach.
CHECK_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)
#: Models whose labels mature, so their performance can be measured after the fact.
PERFORMANCE_MODELS = tuple(
    name for name, spec in MODEL_SPECS.items() if spec.kind in ("classifier", "regressor")
)

RegistryFactory = Callable[[Settings], ChampionSource]


def default_registry(settings: Settings) -> ChampionSource:
    from ml.registry import ModelRegistry

    registry: ChampionSource = ModelRegistry(settings)
    return registry


def _skipped(reason: str) -> dg.AssetCheckResult:
    """Nothing to compare yet (first run, no champion): passed, and saying so."""
    return dg.AssetCheckResult(
        passed=True, description=f"skipped: {reason}", metadata={"skipped": reason}
    )


#: Runs one check of one model: (settings, registry, model name, Dagster run id) -> result.
CheckRunner = Callable[[Settings, ChampionSource, str, str], dg.AssetCheckResult]


def _model_check(
    model_name: str,
    kind: str,
    description: str,
    registry_factory: RegistryFactory,
    run_check: CheckRunner,
) -> dg.AssetChecksDefinition:
    """The asset check ``<model>_<kind>`` on the predictions; skipped when nothing to compare."""

    @dg.asset_check(
        asset=PREDICTIONS_KEY,
        retry_policy=CHECK_RETRY,
        name=f"{model_name}_{kind}",
        description=description,
    )
    def model_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        settings = warehouse.settings()
        try:
            return run_check(settings, registry_factory(settings), model_name, context.run.run_id)
        except NothingToCheck as reason:
            return _skipped(str(reason))

    return model_check


def _warning_result(
    passed: bool, description: str, metadata: dict[str, dg.MetadataValue]
) -> dg.AssetCheckResult:
    """A check result whose failure warns (monitoring never blocks the pipeline)."""
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def _drift_result(
    settings: Settings, registry: ChampionSource, model_name: str, run_id: str
) -> dg.AssetCheckResult:
    from ml.monitoring.drift_results import run_drift_check

    result = run_drift_check(settings, registry, model_name, run_id=run_id)
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
    return _warning_result(not result.is_drifted, result.summary(), metadata)


def _performance_result(
    settings: Settings, registry: ChampionSource, model_name: str, run_id: str
) -> dg.AssetCheckResult:
    from ml.monitoring.performance import run_performance_check

    limits = MonitoringSettings.from_env()
    result = run_performance_check(settings, registry, model_name, run_id=run_id, limits=limits)
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
    return _warning_result(not result.is_degraded, result.summary(), metadata)


def build_drift_check(
    model_name: str, registry_factory: RegistryFactory
) -> dg.AssetChecksDefinition:
    description = (
        f"Evidently drift of {model_name}'s features and score: latest scored frame vs the "
        "champion's training snapshot (normed Wasserstein for numbers, PSI for categories)."
    )
    return _model_check(model_name, "drift", description, registry_factory, _drift_result)


def build_performance_check(
    model_name: str, registry_factory: RegistryFactory
) -> dg.AssetChecksDefinition:
    description = (
        f"{model_name}'s {MODEL_SPECS[model_name].primary_metric} on matured labels against "
        "the champion's value at training."
    )
    return _model_check(
        model_name, "performance", description, registry_factory, _performance_result
    )


def build_monitoring_defs(registry_factory: RegistryFactory | None = None) -> dg.Definitions:
    """Drift and performance checks per model on ``["ml", "predictions"]`` (the definitions
    they join must hold that asset)."""
    factory = registry_factory or default_registry
    checks = [build_drift_check(model, factory) for model in MODEL_SPECS]
    checks += [build_performance_check(model, factory) for model in PERFORMANCE_MODELS]
    return dg.Definitions(asset_checks=checks)
