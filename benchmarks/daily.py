"""The daily benchmark (``ciw bench --daily``): a first full run, then one new day and the daily
run, each stage timed, with the peak memory of the whole process tree.

On a warehouse of its own: generate the exports up to day E, load them, run the full pipeline
as of E+1 (dbt build, training, scoring, marts, alerts, online store: a warehouse's first run),
then write day E+1's events (``sources.generate.increment``), load them and run the daily
pipeline as of E+2 (incremental dbt, scoring with the champions, marts, alerts, online store).
The pipeline runs are the same Dagster jobs ``ciw run`` starts; their steps are grouped into
stages from the run's step statistics. Each stage runs in a fresh Python process, as a user's
separate ``ciw load`` and ``ciw run`` would, so that its peak is its own and not the heap the
stages before it left in one long-lived process. Peak RSS is sampled (this process and every
child, such as that stage's process and its dbt, summed) every 0.2 s, per stage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from benchmarks.stages import BENCH_DIR, Stage, bench_settings
from warehouse.connections import drop_warehouse
from warehouse.settings import Settings

if TYPE_CHECKING:
    from sources.generate.increment import Increment

T = TypeVar("T")

#: Dagster step keys, by the first word that matches, to the stage they belong to.
STEP_GROUPS = (
    ("load_", "load (in the run)"),
    ("dbt_scored_models", "dbt scored marts + alerts"),
    ("dbt_models", "dbt build"),
    ("training_set", "training"),
    ("__model", "training"),
    ("_drift", "drift + performance checks"),
    ("_performance", "drift + performance checks"),
    ("predictions", "scoring"),
    ("online", "online store"),
    ("feature_store", "feature store sync"),
)


@dataclass
class DailyBenchResult:
    customers: int
    warehouse: str
    end_date: str
    stages: list[Stage] = field(default_factory=list)
    peak_rss_bytes: dict[str, int] = field(default_factory=dict)
    load_average: str = ""
    raw_rows: int = 0

    @property
    def peak_rss(self) -> int:
        return max(self.peak_rss_bytes.values(), default=0)

    def seconds(self, prefix: str) -> float:
        return sum(stage.seconds for stage in self.stages if stage.name.startswith(prefix))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "peak_rss": self.peak_rss}


class RssSampler:
    """Peak resident memory of this process plus all its descendants, per named stage."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stage = "start"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> int:
        import psutil

        total = 0
        for process in [self._process, *self._process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            rss = self._tree_rss()
            self.peaks[self._stage] = max(self.peaks.get(self._stage, 0), rss)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._stage = name
        self.peaks[name] = max(self.peaks.get(name, 0), self._tree_rss())
        yield

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def in_child(action: Callable[..., T], *args: Any) -> T:
    """``action(*args)`` in a fresh (spawned) Python process; its result, or its exception.

    ``action`` and its arguments must be picklable (module-level functions, plain data). A child
    that dies (killed for want of memory) raises ``BrokenProcessPool`` here."""
    import multiprocessing

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(action, *args).result()


def step_stage(step_key: str) -> str:
    """The benchmark stage a Dagster step belongs to."""
    for marker, stage in STEP_GROUPS:
        if marker in step_key:
            return stage
    return "alerts, monitoring, CRM"


def _run_stages(run_id: str, instance: Any, prefix: str) -> list[Stage]:
    """The run's steps summed per stage (the in-process executor runs them one at a time)."""
    seconds: dict[str, float] = {}
    for stats in instance.get_run_step_stats(run_id):
        if stats.start_time is None or stats.end_time is None:
            continue
        stage = step_stage(stats.step_key)
        seconds[stage] = seconds.get(stage, 0.0) + stats.end_time - stats.start_time
    return [Stage(f"{prefix}: {name}", value, 0) for name, value in sorted(seconds.items())]


def _pipeline(
    settings: Settings, as_of: dt.date, train: bool, log: Path, prefix: str
) -> tuple[list[Stage], float, bool]:
    import dagster as dg

    from orchestration.launch import run_pipeline

    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    with (
        log.open("a", encoding="utf-8") as out,
        contextlib.redirect_stderr(out),
        contextlib.redirect_stdout(out),
    ):
        result = run_pipeline(settings, None, as_of=as_of, instance=instance, train=train)
    wall = time.perf_counter() - started
    return _run_stages(result.run_id, instance, prefix), wall, result.success


def _load(folder: Path, settings: Settings) -> tuple[int, int]:
    """Rows read and loaded by the validating loader (run in a child by the benchmark)."""
    from sources.load import load_directory

    report = load_directory(folder, settings)
    return report.rows_read, report.rows_loaded


def _next_day(exports: Path, increment: Path, end: dt.date) -> Increment:
    """Day ``end + 1``'s events in ``increment`` (run in a child by the benchmark)."""
    from sources.generate.increment import write_next_day

    return write_next_day(exports, increment, end_date=end)


def exports_to_reuse(exports: Path, wanted: dict[str, Any]) -> int | None:
    """The raw row count of the exports in ``exports`` when an earlier benchmark generated them
    completely for ``wanted`` (customers, seed, end date: ``<exports>.json``, written after the
    last file), else None."""
    marker = exports.with_suffix(".json")
    if not exports.is_dir() or not marker.exists():
        return None
    try:
        earlier = json.loads(marker.read_text())
        same = {key: earlier.get(key) for key in wanted} == wanted
        return int(earlier["rows"]) if same else None
    except (ValueError, KeyError, TypeError):
        return None


def run_daily_benchmark(
    customers: int,
    settings: Settings,
    *,
    seed: int = 42,
    work_dir: Path = BENCH_DIR,
    progress: Callable[[str], None] | None = None,
    end_date: dt.date | None = None,
    reuse_exports: bool = False,
) -> DailyBenchResult:
    """Full run, one new day, daily run; see the module docs. Figures also go to
    ``work_dir/daily_<target>_<customers>.json`` (for the plot in docs/benchmarks.md).

    ``reuse_exports``: keep the exports an earlier run generated for the same customers, seed
    and end date (5 minutes at 1M customers) instead of generating them again."""
    from orchestration.resources import temporary_environment
    from sources.generate import GeneratorConfig, generate

    say = progress or (lambda _: None)
    end = end_date or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
    target = bench_settings(settings, customers, work_dir)
    drop_warehouse(target)
    shutil.rmtree(target.artifacts_dir, ignore_errors=True)
    exports, increment = work_dir / f"exports_{customers}_{seed}", work_dir / f"next_{customers}"
    wanted = {"customers": customers, "seed": seed, "end_date": end.isoformat()}
    reused_rows = exports_to_reuse(exports, wanted) if reuse_exports else None
    for folder in (increment,) if reused_rows is not None else (exports, increment):
        shutil.rmtree(folder, ignore_errors=True)
    if reused_rows is None:
        exports.with_suffix(".json").unlink(missing_ok=True)
    log = work_dir / f"daily_{target.target}_{customers}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    result = DailyBenchResult(customers, target.describe(), end.isoformat())
    quiet = {"SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None, "CIW_EXPORTS_DIR": None}
    out = work_dir / f"daily_{target.target}_{customers}.json"
    partial = out.with_suffix(".partial.json")

    def save_so_far() -> None:
        """The figures of the stages done so far: a run that is stopped (or killed for want of
        memory) at 1M customers still tells how far it got and what each stage cost."""
        result.peak_rss_bytes = dict(sampler.peaks)
        partial.write_text(json.dumps(result.to_json(), indent=2, default=str))

    def timed(name: str, action: Callable[[], tuple[int, str]]) -> None:
        say(name)
        with sampler.stage(name):
            started = time.perf_counter()
            rows, detail = action()
            result.stages.append(Stage(name, time.perf_counter() - started, rows, detail))
        save_so_far()

    def pipeline(name: str, as_of: dt.date, train: bool) -> None:
        say(name)
        with sampler.stage(name):
            stages, wall, success = in_child(_pipeline, target, as_of, train, log, name)
        result.stages.extend(stages)
        status = "" if success else f"FAILED (see {log})"
        result.stages.append(Stage(f"{name}: total", wall, 0, status))
        save_so_far()

    with temporary_environment(quiet), RssSampler() as sampler:
        config = GeneratorConfig(customers=customers, seed=seed, end_date=end)

        def generate_exports() -> tuple[int, str]:
            if reused_rows is not None:
                result.raw_rows = reused_rows
                return result.raw_rows, f"up to {end}, reused from {exports.name}"
            result.raw_rows = sum(in_child(generate, exports, config).values())
            exports.with_suffix(".json").write_text(json.dumps({**wanted, "rows": result.raw_rows}))
            return result.raw_rows, f"up to {end}"

        timed("generate", generate_exports)

        def load(folder: Path) -> tuple[int, str]:
            rows_read, rows_loaded = in_child(_load, folder, target)
            return rows_read, f"{rows_loaded:,} loaded"

        timed("load", lambda: load(exports))
        pipeline("full run", end + dt.timedelta(days=1), True)

        def next_day() -> tuple[int, str]:
            written = in_child(_next_day, exports, increment, end)
            return sum(written.rows.values()), f"day {written.day} (copy of {written.source_day})"

        timed("next day: generate", next_day)
        timed("daily: load one day", lambda: load(increment))
        pipeline("daily run", end + dt.timedelta(days=2), False)
    result.peak_rss_bytes = dict(sampler.peaks)
    result.load_average = " ".join(f"{value:.2f}" for value in os.getloadavg())
    out.write_text(json.dumps(result.to_json(), indent=2, default=str))
    partial.unlink(missing_ok=True)
    return result
