"""``ciw ops check``: judge the ops thresholds of the copilot design now, as the sensor does.

Imports of Dagster and the monitoring code happen inside the command, so ``ciw --help`` stays
fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from ciw.options import CommandError, target_option
from warehouse.settings import Settings


class OpsCheckFailed(CommandError):
    """A threshold setting or the ops channel failed: one ``ciw: error:`` line."""


@click.group("ops")
def ops_group() -> None:
    """The platform's own health: the ops thresholds (docs/monitoring.md)."""


@ops_group.command("check")
@click.option("--dry-run", is_flag=True, help="Print the breaches; send and log nothing.")
@target_option
def check_command(dry_run: bool, target: str | None) -> None:
    """Judge pipeline failure rate and delay (this Dagster home's runs), model accuracy and
    drift, API latency and data quality against their thresholds (CIW_OPS_*), and send each new
    breach to the ops channel (CIW_OPS_CHANNEL) once."""
    from ml.monitoring.ops_metrics import check_and_report
    from ml.monitoring.ops_thresholds import OpsThresholds
    from ml.monitoring.settings import MonitoringError
    from notifier.config import NotifierError
    from orchestration.instance import open_instance
    from orchestration.ops_thresholds import pipeline_runs

    settings = Settings.from_env(target)
    try:
        thresholds = OpsThresholds.from_env()
    except MonitoringError as error:
        raise OpsCheckFailed(str(error)) from None
    now = datetime.now(UTC).replace(tzinfo=None)
    instance = open_instance(settings)
    runs = pipeline_runs(instance, now - timedelta(days=thresholds.pipeline_window_days + 1))
    try:
        found, sent = check_and_report(
            settings, runs, now=now, thresholds=thresholds, dry_run=dry_run
        )
    except NotifierError as error:
        raise OpsCheckFailed(str(error)) from None
    reported = {breach.key: where for breach, where in sent}
    for breach in found:
        status = reported.get(breach.key, "dry run" if dry_run else "reported before")
        click.echo(f"{breach.text}  [{status}]")
    click.echo(
        f"{len(found)} threshold(s) breached, {len(sent)} newly reported"
        if found
        else "every ops metric within its threshold"
    )
