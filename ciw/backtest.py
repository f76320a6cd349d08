"""``ciw backtest``: the pipeline as of a past date on a warehouse of its own, scored on the
orders that followed, beside BG/NBD + Gamma-Gamma fitted on the same calibration orders.

Loading: every export is loaded with the ordinary loader (so a mapping's problems are the
loader's one-line errors), the orders are read back for the holdout truth, then the raw layer
is *cut*: rows that did not exist yet on the first holdout day (every event timestamp on or
after it) are deleted, and order items of deleted orders with them. What stays is what the
warehouse would have held at the end of the calibration period; the pipeline then runs as of
the first holdout day, with both horizons set to the holdout length.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.backtest import BacktestError, HoldoutWindow
from warehouse.paths import DATA_DIR
from warehouse.settings import Settings

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

BACKTEST_DIR = DATA_DIR / "backtest"
BACKTEST_DATABASE = "ciw_backtest"
OUTPUT_DIR = DATA_DIR / "artifacts" / "backtest"
SCORED_MODELS = ("customer_churn", "customer_clv")
#: Never let a backtest reach people or the user's landing folder.
SILENCED_ENVIRONMENT = ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "CIW_EXPORTS_DIR")

Progress = Callable[[str], None]


def backtest_dir() -> Path:
    """Where backtests keep their own warehouses: ``CIW_BACKTEST_DIR``, else data/backtest."""
    return Path(os.environ.get("CIW_BACKTEST_DIR") or BACKTEST_DIR)


@dataclass(frozen=True)
class Champion:
    """The model a backtest scored with, or why there was none."""

    model: str
    version: str | None
    estimator: str | None
    reason: str = ""

    def describe(self) -> str:
        if self.version is None:
            return f"not trained: {self.reason}" if self.reason else "not trained"
        return f"{self.estimator or 'model'} {self.version[:8]}"


@dataclass
class BacktestResult:
    window: HoldoutWindow
    warehouse: str
    exports: str
    customers: int = 0
    calibration_orders: int = 0
    holdout_orders: int = 0
    churned_share: float = float("nan")
    holdout_revenue: float = 0.0
    rows_cut: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    champions: list[Champion] = field(default_factory=list)
    pipeline_problems: list[str] = field(default_factory=list)
    baseline_error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def backtest_settings(settings: Settings, window: HoldoutWindow, work_dir: Path) -> Settings:
    """A warehouse of the backtest's own: never the user's; its artifacts beside it."""
    folder = work_dir / window.calibration_end.isoformat()
    if settings.target == "postgres" and settings.pg_database == BACKTEST_DATABASE:
        raise BacktestError(
            f"CIW_PG_DATABASE is {BACKTEST_DATABASE}, the database a backtest drops and "
            "rebuilds; use another name for your warehouse"
        )
    # The same kind of warehouse in the backtest's folder (DuckDB file, Spark tables and
    # metastore) or database, which reset_warehouse then drops.
    chosen = settings.elsewhere(
        duckdb_path=folder / "warehouse.duckdb", pg_database=BACKTEST_DATABASE
    )
    if settings.target != "postgres" and _files_of(chosen) == _files_of(settings):
        raise BacktestError(f"the backtest warehouse would be yours ({settings.describe()})")
    return replace(chosen, artifacts_root=folder / "artifacts")


def _files_of(settings: Settings) -> Path:
    """Where a local warehouse keeps its data: the DuckDB file or the Spark tables' folder."""
    place = settings.duckdb_path if settings.target == "duckdb" else settings.spark_warehouse_dir
    return place.resolve()


def reset_warehouse(settings: Settings) -> None:
    """Start from nothing: the DuckDB file (or the database) and the artifacts go."""
    from warehouse.connections import drop_warehouse

    drop_warehouse(settings)
    shutil.rmtree(settings.artifacts_dir, ignore_errors=True)


def read_orders(settings: Settings) -> pd.DataFrame:
    """Raw orders as staging keeps them: the latest row per order, cancelled ones left out."""
    import pandas as pd

    from sources.contract import raw_table
    from warehouse import read_frame

    relation = raw_table("commerce.orders").relation
    raw = read_frame(
        settings,
        f"select order_id, customer_id, ordered_at, order_total, status, _loaded_at "
        f"from {relation}",
    )
    raw = raw.sort_values("_loaded_at", kind="stable").drop_duplicates("order_id", keep="last")
    status = raw["status"].astype("string").str.strip().str.lower()
    kept = raw[
        raw["customer_id"].notna()
        & raw["ordered_at"].notna()
        & (status != "cancelled").fillna(True)
    ]
    return pd.DataFrame(
        {
            "customer_id": kept["customer_id"].astype("int64").to_numpy(),
            "ordered_at": pd.to_datetime(kept["ordered_at"], utc=True).to_numpy(),
            "order_total": pd.to_numeric(kept["order_total"]).astype(float).fillna(0.0).to_numpy(),
        }
    )


def run_pipeline_as_of(
    settings: Settings, as_of: dt.date, horizon_days: int, work_dir: Path
) -> tuple[list[str], dict[str, str]]:
    """The daily pipeline over the raw layer as it is (no loads), as of ``as_of``.

    Returns the problems (failed assets and blocking checks) and, per model left untrained,
    the reason its asset recorded.
    """
    from orchestration.ingestion import SOURCES
    from orchestration.instance import open_instance
    from orchestration.launch import pipeline_run_config, summarize
    from orchestration.ml import model_asset_key, training_set_key
    from orchestration.resources import temporary_environment

    overrides: dict[str, str | None] = {
        "CIW_CHURN_HORIZON_DAYS": str(horizon_days),
        "CIW_CLV_HORIZON_DAYS": str(horizon_days),
        "CIW_DBT_TARGET_PATH": str(work_dir / "dbt_target"),
        **dict.fromkeys(SILENCED_ENVIRONMENT),
    }
    with temporary_environment(overrides):
        from orchestration.launch import daily_job
        from orchestration.partitions import partition_key

        job = daily_job(settings, train=True)  # a backtest's own warehouse: always trains
        instance = open_instance(settings, home=work_dir / "dagster", storage="sqlite")
        run_config = pipeline_run_config(None, as_of)
        for source in SOURCES:  # an explicit empty landing folder: the loads are skipped
            run_config["ops"][f"load_{source}"] = {"config": {"exports_dir": ""}}
        outcome = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            partition_key=partition_key(as_of),  # the dbt assets are daily-partitioned
            tags={
                "ciw/target": settings.target,
                "ciw/as_of": as_of.isoformat(),
                "ciw/backtest": "1",
            },
        )
        summary = summarize(outcome, job)
    problems = [asset.asset_key for asset in summary.assets if asset.status == "failed"]
    problems += summary.failed_blocking_checks
    skipped: dict[Any, str] = {}
    for event in outcome.get_asset_materialization_events():
        materialization = event.materialization
        if materialization is not None and "skipped" in materialization.metadata:
            skipped[materialization.asset_key] = str(materialization.metadata["skipped"].value)
    reasons = {  # a skipped training set says why; the model then only says "no training set"
        name: skipped.get(training_set_key(name)) or skipped.get(model_asset_key(name), "")
        for name in SCORED_MODELS
    }
    return problems, reasons


def read_scores(settings: Settings) -> pd.DataFrame:
    """Each unified customer's scores from the mart; empty when the mart was not built."""
    import pandas as pd

    from warehouse import read_frame

    try:
        scores = read_frame(
            settings,
            "select customer_id, churn_probability, predicted_revenue "
            "from marts.customer_risk_scores",
        )
    except Exception:  # the mart is absent when the run failed before it; nothing was scored
        return pd.DataFrame(columns=["churn_probability", "predicted_revenue"], dtype=float)
    scores["customer_id"] = scores["customer_id"].astype("int64")
    return scores.set_index("customer_id").astype(float)


def read_order_features(settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """customer_order_features on the run's as-of date, by customer; empty when not built."""
    import pandas as pd

    from warehouse import read_frame

    try:
        features = read_frame(
            settings,
            "select * from features.customer_order_features "
            f"where as_of_date = cast('{as_of.isoformat()}' as date)",
        )
    except Exception:  # the run failed before the features: no ceiling, not a crash
        return pd.DataFrame()
    features["customer_id"] = features["customer_id"].astype("int64")
    return features.set_index("customer_id")


def unify_customers(settings: Settings, orders: pd.DataFrame) -> pd.DataFrame:
    """Orders keyed by the unified customer id the marts use (identity resolution's map)."""
    from warehouse import read_frame

    try:
        mapping = read_frame(
            settings,
            "select commerce_customer_id, customer_id from intermediate.int_identity_customer_map",
        )
    except Exception:  # no map built: every order keeps its export's customer id
        return orders
    lookup = dict(
        zip(
            mapping["commerce_customer_id"].astype("int64"),
            mapping["customer_id"].astype("int64"),
            strict=True,
        )
    )
    unified = orders["customer_id"].map(lambda shop_id: lookup.get(int(shop_id), int(shop_id)))
    return orders.assign(customer_id=unified.astype("int64"))


def champions(settings: Settings, reasons: Mapping[str, str]) -> list[Champion]:
    from ml.registry import ModelRegistry

    registry = ModelRegistry(settings)
    found: list[Champion] = []
    for name in SCORED_MODELS:
        champion = registry.champion(name)
        if champion is None:
            found.append(Champion(name, None, None, reasons.get(name, "")))
            continue
        estimator = champion.params.get("champion") or champion.params.get("estimator")
        found.append(Champion(name, champion.version, str(estimator) if estimator else None))
    return found


@dataclass(frozen=True)
class BacktestRequest:
    window: HoldoutWindow
    exports: Path
    mapping: Path | None = None
    work_dir: Path = field(default_factory=backtest_dir)


def run_backtest(
    request: BacktestRequest, settings: Settings, progress: Progress | None = None
) -> tuple[BacktestResult, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Load, cut, run as of the first holdout day, score the holdout.

    Returns the result, the holdout truth per calibration customer, and the scores of the
    project and of the baseline (indexed by customer; NaN where a customer was not scored).
    """
    import pandas as pd

    from ml.backtest import (
        BASELINE,
        CEILING,
        PROJECT,
        btyd_baseline,
        ceiling_scores,
        holdout_metrics,
        holdout_truth,
        split_orders,
    )
    from sources.load import load_directory, load_mapping
    from sources.load.cut import cut_raw_layer

    def step(message: str) -> None:
        if progress:
            progress(message)

    window = request.window
    if not request.exports.is_dir():
        raise FileNotFoundError(f"export folder not found: {request.exports}")
    mapping = load_mapping(request.mapping) if request.mapping is not None else None
    target = backtest_settings(settings, window, request.work_dir)
    work_dir = request.work_dir / window.calibration_end.isoformat()
    result = BacktestResult(window, target.describe(), str(request.exports))
    clock = time.perf_counter()

    step(f"preparing {target.describe()}")
    reset_warehouse(target)
    shutil.rmtree(work_dir / "dagster", ignore_errors=True)
    step(f"loading {request.exports}")
    load_directory(request.exports, target, mapping=mapping)
    orders = read_orders(target)
    split_orders(orders, window)  # fails early, before the pipeline, when nothing precedes D
    step(f"cutting the raw layer at {window.as_of}")
    result.rows_cut = cut_raw_layer(target, window.as_of)
    result.seconds["load"] = time.perf_counter() - clock

    clock = time.perf_counter()
    step(f"running the pipeline as of {window.as_of}, horizons {window.horizon_days} days")
    result.pipeline_problems, reasons = run_pipeline_as_of(
        target, window.as_of, window.horizon_days, work_dir
    )
    result.seconds["pipeline"] = time.perf_counter() - clock

    clock = time.perf_counter()
    step("scoring the holdout")
    calibration, holdout = split_orders(unify_customers(target, orders), window)
    truth = holdout_truth(calibration, holdout)
    result.customers = len(truth)
    result.churned_share = float(truth["churned"].mean()) if len(truth) else float("nan")
    result.holdout_revenue = float(truth["revenue"].sum())
    result.calibration_orders, result.holdout_orders = len(calibration), len(holdout)
    project = read_scores(target).reindex(truth.index)
    step("fitting BG/NBD + Gamma-Gamma on the calibration orders")
    try:
        baseline = btyd_baseline(calibration, window).reindex(truth.index)
    except BacktestError as error:
        result.baseline_error = str(error)
        baseline = pd.DataFrame(
            index=truth.index, columns=["churn_probability", "predicted_revenue"], dtype=float
        )
    result.metrics = {
        PROJECT: holdout_metrics(truth, project),
        BASELINE: holdout_metrics(truth, baseline),
    }
    features = read_order_features(target, window.as_of)
    if not features.empty:
        step("cross-fitting the in-period ceiling on the holdout")
        ceiling = ceiling_scores(truth, features, baseline)
        result.metrics[CEILING] = holdout_metrics(truth, ceiling)
    result.champions = champions(target, reasons)
    result.seconds["evaluation"] = time.perf_counter() - clock
    return result, truth, {PROJECT: project, BASELINE: baseline}
