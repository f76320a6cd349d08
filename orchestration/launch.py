"""Launching Dagster from the command line: the daily job in process (``ciw run``) and the UI
(``ciw ui``).

``run_pipeline`` executes the ``daily_pipeline`` job (raw loads, every dbt model and test) in
this process and returns one row per asset with its check results, for the CLI to print;
``ui_command`` is the ``dagster dev`` command line on the project's definitions.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from orchestration.run_events import Listener, listening_logger
from warehouse.settings import Settings

AssetStatus = Literal["materialized", "failed", "skipped"]
CheckOutcome = Literal["passed", "failed", "warned"]


@dataclass(frozen=True)
class CheckSummary:
    name: str
    outcome: CheckOutcome
    blocking: bool


@dataclass(frozen=True)
class AssetSummary:
    asset_key: str
    group: str
    status: AssetStatus
    checks: tuple[CheckSummary, ...] = ()

    def check_counts(self) -> Counter[str]:
        return Counter(check.outcome for check in self.checks)


@dataclass(frozen=True)
class PipelineResult:
    run_id: str
    success: bool
    assets: tuple[AssetSummary, ...] = field(default_factory=tuple)
    #: The Dagster job that ran (``full_pipeline`` trains, ``daily_pipeline`` does not).
    job_name: str = ""
    #: Seconds each step took, slowest first; and the run's wall clock from start to end.
    step_seconds: tuple[tuple[str, float], ...] = ()
    wall_seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        """Asset statuses and check outcomes, counted: what a one-line summary needs."""
        counts: Counter[str] = Counter(asset.status for asset in self.assets)
        for asset in self.assets:
            counts.update(f"checks {outcome}" for outcome in asset.check_counts().elements())
        return dict(counts)

    @property
    def failed_blocking_checks(self) -> list[str]:
        return [
            f"{asset.asset_key}:{check.name}"
            for asset in self.assets
            for check in asset.checks
            if check.blocking and check.outcome == "failed"
        ]


def pipeline_run_config(exports_dir: Path | None, as_of: date | None) -> dict[str, Any]:
    """Run config for ``daily_pipeline``: the export folder for each load, ``as_of`` for dbt."""
    from orchestration.ingestion import SOURCES

    dbt_config = {"config": {"as_of_date": as_of and as_of.isoformat()}}
    ops: dict[str, Any] = {"dbt_models": dbt_config, "dbt_scored_models": dbt_config}
    if exports_dir is not None:
        for source in SOURCES:
            ops[f"load_{source}"] = {"config": {"exports_dir": str(Path(exports_dir).resolve())}}
    # INFO shows one line per step and dbt model; DEBUG would print every engine event.
    return {"ops": ops, "loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _check_outcome(evaluation: dg.AssetCheckEvaluation) -> CheckOutcome:
    if evaluation.passed:
        return "passed"
    return "failed" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warned"


def summarize(result: dg.ExecuteInProcessResult, job: dg.JobDefinition) -> PipelineResult:
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    failed_steps = {event.step_key for event in result.get_step_failure_events()}
    evaluations: dict[dg.AssetKey, list[CheckSummary]] = {}
    graph = job.asset_layer.asset_graph
    for evaluation in result.get_asset_check_evaluations():
        spec = graph.get_check_spec(evaluation.asset_check_key)
        evaluations.setdefault(evaluation.asset_key, []).append(
            CheckSummary(
                name=evaluation.check_name,
                outcome=_check_outcome(evaluation),
                blocking=spec.blocking,
            )
        )
    summaries = []
    for key in sorted(graph.executable_asset_keys, key=lambda k: k.to_user_string()):
        node = graph.get(key)
        status: AssetStatus = "materialized" if key in materialized else "skipped"
        if status == "skipped" and _step_of(job, key) in failed_steps:
            status = "failed"
        checks = tuple(sorted(evaluations.get(key, []), key=lambda check: check.name))
        summaries.append(AssetSummary(key.to_user_string(), node.group_name, status, checks))
    return PipelineResult(
        run_id=result.run_id, success=result.success, assets=tuple(summaries), job_name=job.name
    )


def step_timings(
    instance: dg.DagsterInstance, run_id: str
) -> tuple[tuple[tuple[str, float], ...], float]:
    """Each step's seconds from its start to its success or failure, slowest first, and the
    run's seconds from its start event to its last step's end (from the run's event log)."""
    kinds = {
        dg.DagsterEventType.RUN_START,
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
    }
    records = instance.get_records_for_run(run_id, of_type=kinds, limit=100_000).records
    entries = [record.event_log_entry for record in records]
    started: dict[str, float] = {}
    took: dict[str, float] = {}
    for entry in entries:
        step = entry.step_key
        if step is None:
            continue
        if entry.dagster_event_type == dg.DagsterEventType.STEP_START:
            started[step] = entry.timestamp
        elif step in started:
            took[step] = entry.timestamp - started[step]
    slowest = tuple(sorted(took.items(), key=lambda item: (-item[1], item[0])))
    stamps = [entry.timestamp for entry in entries]
    return slowest, (max(stamps) - min(stamps)) if stamps else 0.0


def _step_of(job: dg.JobDefinition, key: dg.AssetKey) -> str | None:
    node_handle = job.asset_layer.get_op_output_handle(key).node_handle
    return str(node_handle) if node_handle else None


def run_plan(job: dg.JobDefinition) -> dict[str, int]:
    """How many assets each group of ``job`` has: what a progress view counts towards."""
    graph = job.asset_layer.asset_graph
    plan: Counter[str] = Counter()
    for key in graph.executable_asset_keys:
        plan[graph.get(key).group_name or "default"] += 1
    return dict(plan)


def asset_groups(job: dg.JobDefinition) -> dict[str, str]:
    """Each asset's group, by the asset key's user string."""
    graph = job.asset_layer.asset_graph
    return {
        key.to_user_string(): graph.get(key).group_name or "default"
        for key in graph.executable_asset_keys
    }


def needs_training(settings: Settings) -> bool:
    """Whether some model was never trained on this warehouse (its first run trains)."""
    from ml.contracts import MODEL_SPECS
    from ml.registry import registry_root
    from ml.selection import read_last_training

    root = registry_root(settings)
    return any(read_last_training(root, name) is None for name in MODEL_SPECS)


def daily_job(settings: Settings, *, train: bool | None = None) -> dg.JobDefinition:
    """The daily pipeline; with ``train`` (default: when a model was never trained) the full
    pipeline, which also trains."""
    from orchestration.definitions import build_definitions
    from orchestration.schedules import DAILY_JOB, FULL_JOB, SPARK_DAILY_JOB, SPARK_FULL_JOB

    train = needs_training(settings) if train is None else train
    if settings.target == "spark":
        name = SPARK_FULL_JOB if train else SPARK_DAILY_JOB
    else:
        name = FULL_JOB if train else DAILY_JOB
    return build_definitions(settings).resolve_job_def(name)


def run_pipeline(
    settings: Settings,
    exports_dir: Path | None = None,
    *,
    as_of: date | None = None,
    instance: dg.DagsterInstance | None = None,
    listener: Listener | None = None,
    job: dg.JobDefinition | None = None,
    train: bool | None = None,
) -> PipelineResult:
    """Materialize the whole asset graph in process on the warehouse of ``settings``.

    ``exports_dir`` (default ``$CIW_EXPORTS_DIR``, else none: loads skipped) is where the
    loads look; absent sources are skipped. ``as_of`` is passed to dbt as
    ``CIW_AS_OF_DATE`` (see ``orchestration.dbt.AS_OF_DATE_ENV``) and picks the run's daily
    partition (default: today's).
    ``instance`` defaults to the persistent one under
    DAGSTER_HOME, so the run shows in the UI afterwards. ``listener`` hears every step start,
    materialization, check result and failure as it happens (the CLI's progress view).
    ``train`` picks the full pipeline (default: when a model was never trained here).
    """
    from orchestration.instance import open_instance
    from orchestration.partitions import partition_key

    job = job or daily_job(settings, train=train)
    instance = instance or open_instance(settings)
    if settings.target == "spark" and not settings.spark_remote:
        # The run's own driver, served to its dbt steps (see warehouse.spark).
        from warehouse.spark_connect import serve_own_session

        serve_own_session(settings)
    run_config = pipeline_run_config(exports_dir, as_of)
    executed = job
    if listener is not None:
        executed = job.with_logger_defs(
            {"console": dg.colored_console_logger, "ciw_progress": listening_logger(listener)}
        )
        run_config["loggers"]["ciw_progress"] = {}
    result = executed.execute_in_process(
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        partition_key=partition_key(as_of),  # the day's partition (today without --as-of)
        tags={"ciw/target": settings.target, **({"ciw/as_of": as_of.isoformat()} if as_of else {})},
    )
    summary = summarize(result, job)
    steps, wall = step_timings(instance, result.run_id)
    summary = replace(summary, step_seconds=steps, wall_seconds=wall)
    if summary.success:  # the service reads the marts from what a successful run publishes
        from service.snapshot import publish_after_run

        publish_after_run(settings, summary.run_id)
    return summary


def ui_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """``dagster dev`` on the project's definitions; run it with ``instance_env(settings)``
    added to the environment and the repository root as working directory."""
    dagster = str(Path(sys.executable).with_name("dagster"))
    return [
        dagster,
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        host,
        "--port",
        str(port),
    ]
