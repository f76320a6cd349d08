"""``ciw backtest --grid``: backtests over history lengths x horizons on generated orders.

One generated shop (customer id, date, amount only, as a plain CSV with a mapping); for each
history length H and horizon N the export keeps the orders from H months before the
calibration end to N days after it, and one backtest runs on it. The Markdown table is what
``docs/models.md`` shows.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ciw.backtest import BacktestRequest, BacktestResult, backtest_dir, run_backtest
from ciw.backtest_report import result_document
from ml.backtest import BASELINE, PROJECT, HoldoutWindow
from warehouse.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

HISTORY_MONTHS = (3, 6, 9, 12, 18)
HORIZON_DAYS = (30, 90, 180, 270)
GRID_END = dt.date(2026, 10, 31)
#: A plain three-column export: ``customer,date,amount``.
ORDERS_ONLY_MAPPING = """\
defaults:
  delimiter: ","
  timezone: UTC
files:
  - pattern: "transactions.csv"
    table: commerce.orders
    date_format: ["%Y-%m-%d %H:%M:%S"]
    columns:
      customer_id: customer
      ordered_at: date
      order_total: amount
      order_id: {derive: hash}
      status: {value: completed}
"""


def generated_transactions(
    customers: int, seed: int, end: dt.date, work_dir: Path, history_days: int = 900
) -> pd.DataFrame:
    """``ciw generate`` orders reduced to customer, date (UTC text) and amount."""
    import pandas as pd

    from sources.generate import GeneratorConfig, generate

    exports = work_dir / "generated"
    config = GeneratorConfig(
        customers=customers,
        seed=seed,
        end_date=end,
        history_days=history_days,
        dirty_share=0.0,
        file_format="csv",
    )
    generate(exports, config)
    orders = pd.read_csv(exports / "commerce" / "orders.csv")
    orders = orders.dropna(subset=["customer_id", "order_total"])
    orders = orders[orders["order_total"] > 0]
    return pd.DataFrame(
        {
            "customer": orders["customer_id"].astype("int64"),
            "date": pd.to_datetime(orders["ordered_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "amount": orders["order_total"].round(2),
        }
    ).drop_duplicates()


def write_orders_only_export(
    transactions: pd.DataFrame, folder: Path, first_day: dt.date, last_day: dt.date
) -> tuple[Path, Path]:
    """The orders dated first_day..last_day as ``folder/export/transactions.csv`` and its
    mapping as ``folder/mapping.yml``; both paths."""
    export = folder / "export"
    export.mkdir(parents=True, exist_ok=True)
    days = transactions["date"].str.slice(0, 10)
    kept = transactions[(days >= first_day.isoformat()) & (days <= last_day.isoformat())]
    kept.to_csv(export / "transactions.csv", index=False)
    mapping = folder / "mapping.yml"
    mapping.write_text(ORDERS_ONLY_MAPPING)
    return export, mapping


def months_before(day: dt.date, months: int) -> dt.date:
    """The day ``months`` calendar months before ``day`` (clamped to the month's length)."""
    import calendar

    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class GridCell:
    history_months: int
    horizon_days: int
    result: BacktestResult | None
    seconds: float
    error: str = ""


def run_grid(
    settings: Settings,
    customers: int,
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
    *,
    seed: int = 11,
    histories: tuple[int, ...] = HISTORY_MONTHS,
    horizons: tuple[int, ...] = HORIZON_DAYS,
    work_dir: Path | None = None,
) -> str:
    """Every history x horizon backtest; the Markdown table (also written to out_dir/grid.md).

    The data end at :data:`GRID_END`; each cell's calibration ends ``horizon`` days before.
    A cell that fails is a row with its error, not the end of the grid.
    """

    show = progress or (lambda message: None)
    work_dir = work_dir or backtest_dir() / "grid"
    out_dir.mkdir(parents=True, exist_ok=True)
    show(f"generating {customers:,} customers (seed {seed})")
    transactions = generated_transactions(customers, seed, GRID_END, work_dir)
    cells: list[GridCell] = []
    for history in histories:
        for horizon in horizons:
            calibration_end = GRID_END - dt.timedelta(days=horizon)
            first_day = months_before(calibration_end, history) + dt.timedelta(days=1)
            folder = work_dir / f"{history}m_{horizon}d"
            export, mapping = write_orders_only_export(transactions, folder, first_day, GRID_END)
            window = HoldoutWindow(calibration_end, GRID_END)
            show(f"history {history} months, horizon {horizon} days: {window.describe()}")
            started = time.perf_counter()
            try:
                result, _, _ = run_backtest(
                    BacktestRequest(window, export, mapping, folder), settings
                )
                cells.append(GridCell(history, horizon, result, time.perf_counter() - started))
                document = result_document(result, mapping)
                (out_dir / f"{history}m_{horizon}d.json").write_text(json.dumps(document, indent=2))
            except Exception as error:  # one failed cell is a row of the table, not the end
                message = str(error).splitlines()[0] if str(error) else type(error).__name__
                cells.append(
                    GridCell(history, horizon, None, time.perf_counter() - started, message)
                )
            show(f"  done in {cells[-1].seconds:.0f} s")
            table = grid_markdown(cells, customers)
            (out_dir / "grid.md").write_text(table + "\n")
    return grid_markdown(cells, customers)


def _number(value: float | None, percent: bool = False) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:+.1%}" if percent else f"{value:.3f}"


Metrics = dict[str, dict[str, float]]
GRID_METRICS = (
    ("churn", "roc_auc"),
    ("churn", "brier"),
    ("revenue", "spearman"),
    ("revenue", "total_revenue_error"),
)


def _pair(
    project: Metrics, baseline: Metrics, part: str, metric: str, percent: bool = False
) -> str:
    return (
        f"{_number(project[part].get(metric), percent)} vs "
        f"{_number(baseline[part].get(metric), percent)}"
    )


def grid_markdown(cells: list[GridCell], customers: int) -> str:
    """One row per cell: project vs BG/NBD + GG on ROC-AUC, Brier, Spearman, total error."""
    lines = [
        f"Generated orders only, {customers:,} customers; project vs BG/NBD + Gamma-Gamma.",
        "",
        "| history | horizon | scored (churn / CLV) | churn ROC-AUC | churn Brier "
        "| revenue Spearman | revenue total error | champions (churn; CLV) | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    reasons: dict[str, int] = {}
    for cell in cells:
        prefix = f"| {cell.history_months} months | {cell.horizon_days} days |"
        if cell.result is None:
            lines.append(f"{prefix} error: {cell.error} | | | | | | {cell.seconds:.0f} |")
            continue
        project, baseline = cell.result.metrics[PROJECT], cell.result.metrics[BASELINE]
        scored = (
            f"{project['churn']['share_scored']:.0%} / {project['revenue']['share_scored']:.0%}"
        )
        pairs = [
            _pair(project, baseline, part, metric, percent=metric == "total_revenue_error")
            for part, metric in GRID_METRICS
        ]
        names = []
        for champion in cell.result.champions:
            if champion.version is not None:
                names.append(champion.describe())
                continue
            note = reasons.setdefault(champion.reason or "no reason recorded", len(reasons) + 1)
            names.append(f"not trained [{note}]")
        champions = "; ".join(names)
        lines.append(
            f"{prefix} {scored} | {' | '.join(pairs)} | {champions} | {cell.seconds:.0f} |"
        )
    lines += ["", *(f"- [{note}] {reason}" for reason, note in reasons.items())] if reasons else []
    return "\n".join(lines)
