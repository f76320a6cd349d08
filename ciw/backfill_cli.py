"""``ciw backfill FROM TO``: the daily pipeline's partitions of a date range, one day at a time.

Each day is the run ``ciw run --as-of DAY`` would make (the daily job, no training; the raw
loads are skipped: backfills rebuild from what the warehouse holds). Days run oldest first, so
the point-in-time tables end as of TO; the predictions of every day stay in ml.predictions. The
same range can be backfilled from the UI (the job's "Materialize" on a partition range).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ciw.options import CommandError, target_option
from warehouse.settings import Settings

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command("backfill")
@click.argument("start", metavar="FROM", type=DATE)
@click.argument("end", metavar="TO", type=DATE)
@click.option("--stop-on-failure/--keep-going", default=True, show_default=True)
@target_option
def backfill_command(
    start: dt.datetime, end: dt.datetime, stop_on_failure: bool, target: str | None
) -> None:
    """Run the daily pipeline as of every date from FROM to TO (YYYY-MM-DD, both included)."""
    from orchestration.partitions import days

    try:
        dates = days(start.date(), end.date())
    except ValueError as error:
        raise CommandError(str(error)) from None
    settings = Settings.from_env(target)
    failed = run_backfill(settings, dates, stop_on_failure=stop_on_failure)
    if failed:
        raise CommandError(f"{len(failed)} day(s) failed: {', '.join(map(str, failed))}")


def run_backfill(
    settings: Settings, dates: list[dt.date], *, stop_on_failure: bool = True
) -> list[dt.date]:
    """Run each date's partition under the warehouse's run lock; returns the failed dates."""
    from ciw.run_view import new_log_path, quiet_terminal
    from orchestration.launch import daily_job, run_pipeline
    from warehouse.connections import preflight
    from warehouse.locks import exclusive_run

    failed: list[dt.date] = []
    log_path: Path = new_log_path(settings.artifacts_dir / "logs")
    click.echo(f"backfill of {len(dates)} day(s) on {settings.describe()}; log: {log_path}")
    with exclusive_run(settings, "ciw backfill"):
        preflight(settings)
        for number, day in enumerate(dates, start=1):
            with quiet_terminal(log_path):
                job = daily_job(settings, train=False)
                result = run_pipeline(settings, None, as_of=day, job=job)
            status = "ok" if result.success else "FAILED"
            totals = result.totals()
            click.echo(
                f"[{number}/{len(dates)}] {day}: {status} "
                f"({totals.get('materialized', 0)} materialized, "
                f"{totals.get('checks failed', 0)} checks failed)"
            )
            if not result.success:
                failed.append(day)
                if stop_on_failure:
                    break
    return failed
