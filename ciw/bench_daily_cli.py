"""``ciw bench --daily``: the daily benchmark's command body (figures in benchmarks.daily)."""

from __future__ import annotations

import click

from warehouse.settings import Settings


def daily_bench(
    customers: int, seed: int, markdown: bool, settings: Settings, *, reuse_exports: bool = False
) -> None:
    """Run the daily benchmark with a one-line progress per stage; print the figures."""
    from benchmarks.daily import run_daily_benchmark
    from benchmarks.daily_report import daily_markdown, print_daily
    from benchmarks.stages import BENCH_DIR

    def progress(stage: str) -> None:
        click.echo(f"[ciw bench --daily] {stage} ...", err=True)

    click.echo(f"pipeline logs: {BENCH_DIR}/daily_{settings.target}_{customers}.log", err=True)
    result = run_daily_benchmark(
        customers, settings, seed=seed, progress=progress, reuse_exports=reuse_exports
    )
    print_daily(result)
    if markdown:
        click.echo(daily_markdown(result))
