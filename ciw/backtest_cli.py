"""``ciw backtest``: check the churn and CLV scores on held-out orders before trusting them.

Progress goes to the terminal; everything the loader, dbt and Dagster print goes to
``backtest.log`` beside the results, whose paths are printed at the end.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TextIO

import click

from warehouse.settings import TARGETS, Settings

DEFAULT_EXPORTS = Path("data/sample_exports")


@contextmanager
def output_to(log_path: Path) -> Iterator[TextIO]:
    """Send stdout and stderr (file descriptors 1 and 2, so this process's writers and its
    children's) to ``log_path``.

    Yields a stream on the original stderr for progress lines. Everything is restored on exit,
    also on an error, so the error's one line reaches the terminal.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved[1]), "w", buffering=1)
    with log_path.open("a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        previous_level = root.level
        root.addHandler(handler)
        root.setLevel(min(previous_level or logging.INFO, logging.INFO))
        try:
            with redirect_stdout(log), redirect_stderr(log):  # Python-level writers too
                yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            root.removeHandler(handler)
            root.setLevel(previous_level)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)
            terminal.close()


def progress_printer(terminal: TextIO) -> Callable[[str], None]:
    """One line per step on the terminal, each with the seconds since the start."""
    started = time.perf_counter()

    def show(message: str) -> None:
        terminal.write(f"[{time.perf_counter() - started:6.1f}s] {message}\n")
        terminal.flush()

    return show


def positive_ints(
    context: click.Context | None, parameter: click.Parameter | None, value: str | None
) -> tuple[int, ...] | None:
    """``"9,12,15"`` -> (9, 12, 15); a clear usage error for anything else."""
    if value is None:
        return None
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        numbers = ()
    if not numbers or min(numbers) < 1:
        name = parameter.name if parameter is not None else "value"
        raise click.BadParameter(
            f"expected positive whole numbers separated by commas, got {value!r}",
            param_hint=f"--{name}",
        )
    return numbers


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@click.command("backtest")
@click.option(
    "--calibration-end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of the calibration period (inclusive, UTC); the run is as of the next day.",
)
@click.option(
    "--holdout-end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of the holdout (inclusive); both horizons = holdout-end - calibration-end.",
)
@click.option(
    "--exports",
    "exports_dir",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Export folder with every order, calibration and holdout. Default: {DEFAULT_EXPORTS}.",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Mapping YAML for --exports (docs/loading.md); none: the project's own layout.",
)
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default=None,
    help="Kind of warehouse to backtest on: its own DuckDB file or the ciw_backtest database.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for backtest.json, the plots and the log. "
    "Default: data/artifacts/backtest/<calibration-end>/.",
)
@click.option(
    "--grid",
    is_flag=True,
    help="Instead: generated orders-only data, histories 3-18 months x horizons 30-270 days; "
    "prints a Markdown table (slow: one pipeline run per cell).",
)
@click.option(
    "--customers",
    type=click.IntRange(min=100),
    default=2_000,
    show_default=True,
    help="With --grid: customers to generate.",
)
@click.option(
    "--histories",
    callback=positive_ints,
    default=None,
    help="With --grid: months of history, comma separated (default 3,6,9,12,18).",
)
@click.option(
    "--horizons",
    callback=positive_ints,
    default=None,
    help="With --grid: horizons in days, comma separated (default 30,90,180,270).",
)
def backtest_command(
    calibration_end: dt.datetime | None,
    holdout_end: dt.datetime | None,
    exports_dir: Path | None,
    mapping_file: Path | None,
    target: str | None,
    out_dir: Path | None,
    grid: bool,
    customers: int,
    histories: tuple[int, ...] | None,
    horizons: tuple[int, ...] | None,
) -> None:
    """Run the pipeline as of a past date on a warehouse of its own and score the holdout.

    Calibration = orders on or before --calibration-end; holdout = the days after it up to
    --holdout-end, both inclusive. Churn (no order in the holdout): ROC-AUC, PR-AUC, Brier,
    lift@10; revenue: MAE, Spearman, total error; beside BG/NBD + Gamma-Gamma fitted on the
    same calibration orders. Your own warehouse is never touched.
    """
    from ciw.backtest import OUTPUT_DIR, BacktestRequest, run_backtest
    from ml.backtest import BacktestError, HoldoutWindow

    settings = Settings.from_env(target)
    if grid:
        from ciw.backtest_grid import HISTORY_MONTHS, HORIZON_DAYS, run_grid

        out = out_dir or OUTPUT_DIR / "grid"
        with output_to(out / "backtest.log") as terminal:
            table = run_grid(
                settings,
                customers,
                out,
                progress_printer(terminal),
                histories=histories or HISTORY_MONTHS,
                horizons=horizons or HORIZON_DAYS,
            )
        click.echo(table)
        click.echo(f"table: {out / 'grid.md'}; log: {out / 'backtest.log'}")
        return
    start, end = _date(calibration_end), _date(holdout_end)
    if start is None or end is None:
        raise BacktestError("--calibration-end and --holdout-end are both required (or --grid)")
    if mapping_file is not None and exports_dir is None:
        raise BacktestError("--mapping needs --exports: the sample exports use no mapping")
    window = HoldoutWindow(start, end)
    out = out_dir or OUTPUT_DIR / start.isoformat()
    exports = exports_dir or DEFAULT_EXPORTS
    if not exports.is_dir():
        hint = "; write them with `ciw generate`" if exports_dir is None else ""
        raise FileNotFoundError(f"export folder not found: {exports}{hint}")
    if mapping_file is not None and not mapping_file.is_file():
        raise FileNotFoundError(f"mapping file not found: {mapping_file}")
    log_path = out / "backtest.log"
    log_path.unlink(missing_ok=True)
    request = BacktestRequest(window, exports, mapping_file)
    click.echo(f"backtest: {window.describe()}; full log: {log_path}", err=True)
    with output_to(log_path) as terminal:
        result, truth, scores = run_backtest(request, settings, progress_printer(terminal))
        from ciw.backtest_report import write_outputs

        json_path = write_outputs(result, truth, scores, out, mapping_file)
    from ciw.backtest_report import screen_table

    click.echo(screen_table(result))
    click.echo(f"results: {json_path}")
    for name in sorted(result.files):
        if name != "json":
            click.echo(f"plot:    {result.files[name]}")
    click.echo(f"log:     {log_path}")
    if result.pipeline_problems:
        raise BacktestError(
            f"the pipeline run had failures ({', '.join(result.pipeline_problems[:3])}); "
            f"see {log_path}"
        )
