"""The benchmark's figures as a terminal table and as Markdown (for docs/benchmarks.md)."""

from __future__ import annotations

from benchmarks.stages import BenchResult


def print_benchmark(result: BenchResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ciw bench: {result.customers:,} customers on {result.warehouse}")
    for heading in ("stage", "seconds", "rows", "rows/s", "detail"):
        table.add_column(heading, justify="left" if heading in ("stage", "detail") else "right")
    for stage in result.stages:
        table.add_row(
            stage.name,
            f"{stage.seconds:.1f}",
            f"{stage.rows:,}",
            f"{stage.rows_per_second:,.0f}",
            stage.detail,
        )
    table.add_row("total", f"{result.total_seconds:.1f}", "", "", "")
    console = Console()
    console.print(table)
    counts = Table(title="rows generated per table")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for key, rows in result.table_rows.items():
        counts.add_row(key, f"{rows:,}")
    console.print(counts)


def benchmark_markdown(result: BenchResult) -> str:
    """The figures as Markdown table rows, for docs/benchmarks.md."""
    lines = [
        f"### {result.customers:,} customers on {result.warehouse.split(' ')[0]}",
        "",
        "| stage | seconds | rows | rows/s | detail |",
        "|---|---:|---:|---:|---|",
    ]
    for stage in result.stages:
        lines.append(
            f"| {stage.name} | {stage.seconds:.1f} | {stage.rows:,} | "
            f"{stage.rows_per_second:,.0f} | {stage.detail} |"
        )
    lines.append(f"| total | {result.total_seconds:.1f} | | | |")
    return "\n".join(lines)
