"""What ``ciw backtest`` leaves behind: the screen table, the JSON file and the PNG plots."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.backtest import BASELINE, CEILING, CHURN_METRICS, PROJECT, REVENUE_METRICS, jsonable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ciw.backtest import BacktestResult

WIDTH = 80
LABELS = {PROJECT: "project", BASELINE: "BG/NBD + GG", CEILING: "ceiling"}
METRIC_NAMES = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "brier": "Brier",
    "lift_at_10": "lift@10",
    "mae": "MAE",
    "spearman": "Spearman",
    "total_revenue_error": "total error",
}
PLOT_FILES = {
    "lift": "churn_lift.png",
    "calibration": "churn_calibration.png",
    "predicted_vs_actual": "revenue_predicted_vs_actual.png",
}


def _value(metric: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric == "total_revenue_error":
        return f"{value:+.1%}"
    if metric == "share_scored":
        return f"{value:.1%}"
    if metric == "mae":
        return f"{value:,.2f}"
    return f"{value:.4f}"


def result_document(result: BacktestResult, mapping: Path | None) -> dict[str, Any]:
    """The JSON file's content (NaN as null)."""
    window = result.window
    return jsonable(
        {
            "calibration_end": window.calibration_end,
            "holdout_end": window.holdout_end,
            "as_of_date": window.as_of,
            "horizon_days": window.horizon_days,
            "days": "UTC days of ordered_at; calibration = orders on or before calibration_end, "
            "holdout = as_of_date..holdout_end, both inclusive",
            "exports": result.exports,
            "mapping": str(mapping) if mapping else None,
            "warehouse": result.warehouse,
            "customers": result.customers,
            "calibration_orders": result.calibration_orders,
            "holdout_orders": result.holdout_orders,
            "churned_share": result.churned_share,
            "holdout_revenue": result.holdout_revenue,
            "raw_rows_cut": result.rows_cut,
            "metrics": result.metrics,
            "champions": {
                champion.model: {
                    "status": "not trained" if champion.version is None else "champion",
                    "version": champion.version,
                    "estimator": champion.estimator,
                    "reason": champion.reason or None,
                }
                for champion in result.champions
            },
            "pipeline_problems": result.pipeline_problems,
            "baseline_error": result.baseline_error or None,
            "seconds": {name: round(value, 1) for name, value in result.seconds.items()},
            "files": result.files,
        }
    )


def screen_table(result: BacktestResult) -> str:
    """Metrics side by side, then the champions; never wider than 80 columns."""
    window = result.window
    scorers = [name for name in (PROJECT, BASELINE, CEILING) if name in result.metrics]
    row = "{:<26}" + "{:>14}" * len(scorers)
    lines = [
        *textwrap.wrap(f"Backtest: {window.describe()}", WIDTH, subsequent_indent="  "),
        f"{result.customers:,} customers with a calibration order; "
        f"{result.holdout_orders:,} holdout orders",
        "",
        row.format("", *(LABELS[name] for name in scorers)),
    ]
    parts = (
        ("churn", CHURN_METRICS, f"churn (no order in {window.horizon_days} days)"),
        ("revenue", REVENUE_METRICS, f"revenue in {window.horizon_days} days"),
    )
    for part, names, title in parts:
        lines.append(title)
        for metric in ("share_scored", *names):
            label = "customers scored" if metric == "share_scored" else METRIC_NAMES[metric]
            values = (_value(metric, result.metrics[name][part].get(metric)) for name in scorers)
            lines.append(row.format(f"  {label}", *values))
    lines.append(
        f"  churned {_value('share_scored', result.churned_share)}; actual holdout "
        f"revenue {result.holdout_revenue:,.2f}"
    )
    if CEILING in result.metrics:
        lines.append(
            "  ceiling: LightGBM cross-fitted on this holdout's own outcomes (no forecast)"
        )
    lines.append("champions")
    for champion in result.champions:
        lines.extend(
            textwrap.wrap(
                champion.describe(),
                WIDTH,
                initial_indent=f"  {champion.model:<16}",
                subsequent_indent=" " * 18,
            )
        )
    for problem in (*result.pipeline_problems, result.baseline_error):
        if problem:
            lines.extend(textwrap.wrap(f"problem: {problem}", WIDTH, subsequent_indent="  "))
    return "\n".join(line.rstrip() for line in lines)


def _curves(
    values: dict[str, pd.Series], truth: pd.Series
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Truth and each scorer's values on the customers every shown scorer scored.

    A scorer that scored nobody is left out, so a project without a champion still gets the
    baseline's plots.
    """
    import numpy as np

    shown = {name: series for name, series in values.items() if series.notna().any()}
    common = np.ones(len(truth), dtype=bool)
    for series in shown.values():
        common &= series.notna().to_numpy()
    return truth.to_numpy(dtype=float)[common], {
        LABELS[name]: series.to_numpy(dtype=float)[common] for name, series in shown.items()
    }


def write_plots(
    out_dir: Path, truth: pd.DataFrame, scores: dict[str, pd.DataFrame], horizon_days: int
) -> dict[str, str]:
    """Lift and calibration of the churn scores, predicted vs actual revenue; paths written.

    A plot is skipped when fewer than 10 customers are shown or the holdout has one class.
    """
    import numpy as np

    from ml import plots

    written: dict[str, str] = {}
    churned, churn_curves = _curves(
        {name: frame["churn_probability"] for name, frame in scores.items()},
        truth["churned"].astype(float),
    )
    if churn_curves and churned.size >= 10 and np.unique(churned).size == 2:
        title = f"churn in {horizon_days} days"
        figures = {
            "lift": plots.lift_plot(churned, churn_curves, f"{title}: lift"),
            "calibration": plots.calibration_plot(churned, churn_curves, f"{title}: calibration"),
        }
        for name, png in figures.items():
            path = out_dir / PLOT_FILES[name]
            path.write_bytes(png)
            written[name] = str(path)
    revenue, revenue_curves = _curves(
        {name: frame["predicted_revenue"] for name, frame in scores.items()}, truth["revenue"]
    )
    if revenue_curves and revenue.size >= 10:
        path = out_dir / PLOT_FILES["predicted_vs_actual"]
        title = f"revenue in {horizon_days} days: predicted vs actual"
        path.write_bytes(plots.predicted_vs_actual_plot(revenue, revenue_curves, title))
        written["predicted_vs_actual"] = str(path)
    return written


def write_outputs(
    result: BacktestResult,
    truth: pd.DataFrame,
    scores: dict[str, pd.DataFrame],
    out_dir: Path,
    mapping: Path | None,
) -> Path:
    """The plots and ``backtest.json`` under ``out_dir``; the JSON file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in PLOT_FILES.values():
        (out_dir / name).unlink(missing_ok=True)
    result.files.update(write_plots(out_dir, truth, scores, result.window.horizon_days))
    path = out_dir / "backtest.json"
    result.files["json"] = str(path)
    path.write_text(json.dumps(result_document(result, mapping), indent=2, sort_keys=True) + "\n")
    return path
