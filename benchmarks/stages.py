"""Time each stage of the pipeline at a given scale, on a warehouse of its own (``ciw bench``).

Generate, load and ``dbt build``; then, with ``ml``, the Feast sync, each model's training set
(the project's Feast join, Feast's stock join and a hand-written one), training, scoring, the
scored marts, materialization and the online profile lookup.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.connections import drop_warehouse
from warehouse.paths import DATA_DIR
from warehouse.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from ml.contracts import ModelSpec
    from ml.registry import ModelRegistry

BENCH_DIR = DATA_DIR / "bench"
BENCH_DATABASE = "ciw_bench"


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    rows: int
    detail: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class BenchResult:
    customers: int
    warehouse: str
    stages: list[Stage] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)


def bench_settings(settings: Settings, customers: int, work_dir: Path = BENCH_DIR) -> Settings:
    """A throwaway warehouse: never the user's own."""
    return settings.elsewhere(
        duckdb_path=work_dir / f"bench_{customers}.duckdb", pg_database=BENCH_DATABASE
    )


def run_benchmark(
    customers: int,
    settings: Settings,
    *,
    seed: int = 42,
    work_dir: Path = BENCH_DIR,
    progress: Callable[[str, int, int], None] | None = None,
    ml: bool = True,
) -> BenchResult:
    from sources.generate import GeneratorConfig, generate
    from sources.load import load_directory
    from warehouse.dbt import run_dbt

    target = bench_settings(settings, customers, work_dir)
    drop_warehouse(target)
    exports = work_dir / f"exports_{customers}_{seed}"
    shutil.rmtree(exports, ignore_errors=True)
    result = BenchResult(customers=customers, warehouse=target.describe())

    started = time.perf_counter()
    counts = generate(exports, GeneratorConfig(customers=customers, seed=seed), progress)
    generated = sum(counts.values())
    result.stages.append(Stage("generate", time.perf_counter() - started, generated))
    result.table_rows = dict(sorted(counts.items()))

    started = time.perf_counter()
    report = load_directory(exports, target, progress)
    result.stages.append(
        Stage(
            "load",
            time.perf_counter() - started,
            report.rows_read,
            f"{report.rows_loaded:,} loaded, {report.rows_quarantined:,} quarantined",
        )
    )

    started = time.perf_counter()
    dbt_result = run_dbt(
        ["build"], target, target_path=work_dir / f"target_{target.target}", echo=False
    )
    result.stages.append(
        Stage("dbt build", time.perf_counter() - started, report.rows_loaded, dbt_result.summary())
    )
    if ml:
        result.stages.extend(_ml_stages(target, work_dir, seed))
    return result


def _timed(name: str, action: Callable[[], tuple[int, str]]) -> Stage:
    started = time.perf_counter()
    rows, detail = action()
    return Stage(name, time.perf_counter() - started, rows, detail)


def _ml_stages(settings: Settings, work_dir: Path, seed: int) -> list[Stage]:
    """Feast sync, per model: training set (Feast vs a hand-written join), training, scoring;
    the scored marts; the online profile lookup."""
    from datetime import UTC, datetime

    from benchmarks.feature_store import bench_online_profile, bench_training_set
    from feature_repo.store import FeatureStoreGateway
    from ml.contracts import MODEL_SPECS
    from ml.registry import ModelRegistry
    from ml.scoring import score_model, write_predictions
    from ml.training_sets import NotEnoughData, build_training_set, load_labels, run_as_of_date
    from warehouse import read_frame
    from warehouse.dbt import run_dbt

    stages: list[Stage] = []
    gateway = FeatureStoreGateway(settings)
    registry = ModelRegistry(settings)
    as_of = run_as_of_date(settings)
    stages.append(_timed("feast sync", lambda: (0, str(gateway.sync()))))
    for spec in MODEL_SPECS.values():
        if spec.label_model is not None:
            labels = load_labels(settings, spec)
            if labels.empty:
                stages.append(Stage(f"{spec.name}: skipped", 0.0, 0, "no matured labels"))
                continue
            figures = bench_training_set(settings, spec, labels)
            joined = int(figures["rows_feast"])
            hand = figures["hand_written_seconds"]
            stages.append(Stage(f"{spec.name}: training set, hand-written join", hand, joined))
            for path, label in (("feast", "Feast (project join)"), ("feast_stock", "Feast stock")):
                seconds = figures[f"{path}_seconds"]
                ratio = f"{seconds / hand:.2f}x the hand-written join" if hand else ""
                stages.append(Stage(f"{spec.name}: training set, {label}", seconds, joined, ratio))
        try:
            frame = build_training_set(settings, spec, gateway, as_of)
        except NotEnoughData as reason:
            stages.append(Stage(f"{spec.name}: skipped", 0.0, 0, str(reason)))
            continue
        started = time.perf_counter()
        trained, detail = _train(settings, spec, frame, registry, seed)
        stages.append(
            Stage(f"{spec.name}: train + register", time.perf_counter() - started, trained, detail)
        )
        started = time.perf_counter()
        try:
            scores = score_model(settings, spec, gateway, registry, as_of=as_of, run_id="bench")
        except NotEnoughData:
            continue
        written = write_predictions(settings, scores)
        stages.append(Stage(f"{spec.name}: score", time.perf_counter() - started, written))
    stages.append(
        _timed(
            "dbt scored marts + alerts",
            lambda: (
                0,
                run_dbt(
                    ["build", "--select", "tag:scored+"],
                    settings,
                    target_path=work_dir / f"target_{settings.target}",
                    echo=False,
                ).summary(),
            ),
        )
    )
    stages.append(
        _timed(
            "feast materialize",
            lambda: (int(gateway.materialize(datetime.now(UTC)) or 0), ""),
        )
    )
    sample = "select customer_id from marts.customer_risk_scores order by customer_id limit 500"
    customers = read_frame(settings, sample)["customer_id"].tolist()
    if customers:
        lookup = bench_online_profile(settings, [int(c) for c in customers], repeats=3)
        stages.append(
            Stage(
                "online profile lookup",
                lookup["p50_ms"] * lookup["calls"] / 1000,
                int(lookup["calls"]),
                f"p50 {lookup['p50_ms']:.2f} ms, p99 {lookup['p99_ms']:.2f} ms wall "
                f"(CPU p99 {lookup['cpu_p99_ms']:.2f} ms, load {lookup['load_average_1m']})",
            )
        )
    return stages


def _train(
    settings: Settings, spec: ModelSpec, frame: pd.DataFrame, registry: ModelRegistry, seed: int
) -> tuple[int, str]:
    from ml.selection import train_and_register

    outcome = train_and_register(settings, spec, frame, registry, seed=seed)
    if not outcome.trained:
        return 0, f"not trained: {outcome.reason}"
    metric = ", ".join(f"{k} {v:.3f}" for k, v in list(outcome.metrics.items())[:3])
    base = ", ".join(f"{k} {v:.3f}" for k, v in list(outcome.baseline_metrics.items())[:3])
    return outcome.train_rows, f"{metric} | {outcome.baseline_name}: {base}"
