"""The daily benchmark's figures: a terminal table, Markdown rows and the time-vs-customers plot."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

from benchmarks.daily import DailyBenchResult

GIB = 1024**3


def print_daily(result: DailyBenchResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ciw bench --daily: {result.customers:,} customers on {result.warehouse}")
    for heading in ("stage", "seconds", "rows", "peak RSS", "detail"):
        table.add_column(heading, justify="left" if heading in ("stage", "detail") else "right")
    for stage in result.stages:
        rss = result.peak_rss_bytes.get(stage.name)
        table.add_row(
            stage.name,
            f"{stage.seconds:.1f}",
            f"{stage.rows:,}" if stage.rows else "",
            f"{rss / GIB:.2f} GiB" if rss else "",
            stage.detail,
        )
    console = Console()
    console.print(table)
    console.print(
        f"daily (load one day + daily run): {daily_seconds(result):.1f} s; "
        f"peak RSS {result.peak_rss / GIB:.2f} GiB; load average {result.load_average}"
    )


def daily_seconds(result: DailyBenchResult | dict) -> float:
    """Load of one day plus the daily run: the figure the issue's 90 s goal is about."""
    stages = result.stages if isinstance(result, DailyBenchResult) else result["stages"]
    names = ("daily: load one day", "daily run: total")
    return sum(
        (stage.seconds if not isinstance(stage, dict) else stage["seconds"])
        for stage in stages
        if (stage.name if not isinstance(stage, dict) else stage["name"]) in names
    )


def daily_markdown(result: DailyBenchResult) -> str:
    lines = [
        f"#### {result.customers:,} customers on {result.warehouse.split(' ')[0]} "
        f"(load average {result.load_average})",
        "",
        "| stage | seconds | peak RSS GiB | detail |",
        "|---|---:|---:|---|",
    ]
    for stage in result.stages:
        rss = result.peak_rss_bytes.get(stage.name)
        lines.append(
            f"| {stage.name} | {stage.seconds:.1f} | {f'{rss / GIB:.2f}' if rss else ''} "
            f"| {stage.detail} |"
        )
    return "\n".join(lines)


MEASURES = ("full run: dbt build", "full run: total", "daily")


def result_files(results_dir: Path) -> list[Path]:
    """The figures of finished runs (``daily_<target>_<customers>.json``; a run's
    ``.partial.json`` holds the stages it did before it stopped)."""
    found = results_dir.glob("daily_*_*.json")
    return sorted(path for path in found if not path.name.endswith(".partial.json"))


def _measure(figures: dict, measure: str) -> float:
    if measure == "daily":
        return daily_seconds(figures)
    return sum(s["seconds"] for s in figures["stages"] if s["name"] == measure)


def scaling_rows(results_dir: Path) -> list[tuple[str, str, int, int, float, float, float]]:
    """How each measure grows between consecutive sizes of one warehouse: rows of (warehouse,
    measure, customers from, customers to, seconds from, seconds to, exponent), where the
    exponent is log(t2 / t1) / log(n2 / n1) (1.0: linear; the issue's goal is at most 1.1)."""
    by_target: dict[str, dict[int, dict]] = {}
    for path in result_files(results_dir):
        figures = json.loads(path.read_text())
        sizes = by_target.setdefault(figures["warehouse"].split(" ")[0], {})
        sizes[figures["customers"]] = figures
    rows = []
    for target, sizes in sorted(by_target.items()):
        ordered = sorted(sizes)
        for small, large in itertools.pairwise(ordered):
            for measure in MEASURES:
                before, after = _measure(sizes[small], measure), _measure(sizes[large], measure)
                if before > 0 and after > 0:
                    exponent = math.log(after / before) / math.log(large / small)
                    rows.append((target, measure, small, large, before, after, exponent))
    return rows


def scaling_markdown(rows: list[tuple[str, str, int, int, float, float, float]]) -> str:
    lines = [
        "| warehouse | measure | customers | seconds | exponent |",
        "|---|---|---|---|---:|",
    ]
    for target, measure, small, large, before, after, exponent in rows:
        lines.append(
            f"| {target} | {measure} | {small:,} → {large:,} | {before:.1f} → {after:.1f} "
            f"| {exponent:.2f} |"
        )
    return "\n".join(lines)


def plot_daily(results_dir: Path, out: Path) -> list[Path]:
    """Plot full run and daily run seconds against customers (log-log) from the saved JSON
    figures (``daily_<target>_<customers>.json``); returns the files plotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = result_files(results_dir)
    series: dict[str, list[tuple[int, float, float, float]]] = {}
    for path in files:
        figures = json.loads(path.read_text())
        target = figures["warehouse"].split(" ")[0]
        series.setdefault(target, []).append(
            (
                figures["customers"],
                _measure(figures, "full run: total"),
                _measure(figures, "full run: dbt build"),
                daily_seconds(figures),
            )
        )
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for target, points in sorted(series.items()):
        points.sort()
        customers = [p[0] for p in points]
        axes.plot(customers, [p[1] for p in points], "o-", label=f"{target}: first full run")
        axes.plot(customers, [p[2] for p in points], "^:", label=f"{target}: its dbt build")
        axes.plot(customers, [p[3] for p in points], "s--", label=f"{target}: daily run")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("customers")
    axes.set_ylabel("seconds")
    axes.set_title("ciw bench --daily: time against customers")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return files


if __name__ == "__main__":  # python -m benchmarks.daily_report [RESULTS_DIR] [OUT.png]
    import sys

    from benchmarks.stages import BENCH_DIR

    arguments = sys.argv[1:]
    results = Path(arguments[0]) if arguments else BENCH_DIR
    image = Path(arguments[1]) if len(arguments) > 1 else Path("docs/img/daily_benchmark.png")
    print(f"plotted {len(plot_daily(results, image))} result(s) to {image}")
    print(scaling_markdown(scaling_rows(results)))
