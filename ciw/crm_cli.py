"""``ciw crm push``: write scores, priorities and follow-up tasks back to the CRM.

Kept apart from ``ciw.cli`` (which adds the group) so the writeback's options live beside it;
the writeback is imported inside the command, so ``ciw --help`` stays fast.
"""

from __future__ import annotations

import click

from ciw.notify_cli import NotifyFailed
from ciw.options import announce, target_option
from warehouse.settings import Settings

#: Rows of the dry-run table shown by default; ``--limit 0`` shows them all.
DEFAULT_LIMIT = 50


class CrmFailed(NotifyFailed):
    """A user error from the writeback: one ``ciw: error:`` line."""


@click.group("crm")
def crm_group() -> None:
    """Write scores, priorities and follow-up tasks back to the CRM (Salesforce)."""


@crm_group.command("push")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show the diff it would send, as a table; send nothing, log nothing. Needs no "
    "credentials.",
)
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Rows of the dry-run table to show (0: all).",
)
@target_option
def push_command(dry_run: bool, limit: int, target: str | None) -> None:
    """Send the CRM the values that changed since the last confirmed write.

    Lead.Lead_Score__c and Priority__c from marts.lead_scores; Account.Churn_Risk_Score__c
    and Churn_Risk_Level__c from marts.account_risk_scores; a Task when a lead becomes
    Critical or an account High or Critical. Records are upserted by external id in batches
    of at most 200; every write is logged in ops.crm_writeback, and a rerun sends nothing
    twice. Credentials from the environment: SALESFORCE_TOKEN_URL, SALESFORCE_CLIENT_ID,
    SALESFORCE_CLIENT_SECRET (OAuth 2.0 client credentials). Without them nothing is pushed.
    """
    from crm.config import CrmError, SalesforceConfig
    from crm.push import push

    settings = Settings.from_env(target)
    try:
        config = SalesforceConfig.from_env()
    except CrmError as error:
        raise CrmFailed(str(error)) from None
    if config.configured or dry_run:  # else the summary's one line says it all
        announce(f"scores from {settings.describe()} to {config.describe()}", dry_run=dry_run)
    try:
        report = push(settings, dry_run=dry_run, config=config)
    except CrmError as error:
        raise CrmFailed(config.scrub(str(error))) from None
    if dry_run:
        _print_diff(report.diff_rows(), limit)
    click.echo(report.summary())
    for refusal in report.errors:
        click.echo(f"  refused: {refusal}")


def _print_diff(rows: list[tuple[str, str, str, str, str, str]], limit: int) -> None:
    from rich.table import Table

    from ciw.options import table_console

    if not rows:
        return
    table = Table("object", "record", "field", "in the CRM", "new", "note")
    shown = rows if limit == 0 else rows[:limit]
    for row in shown:
        table.add_row(*row)
    table_console().print(table)
    if len(shown) < len(rows):
        click.echo(f"... and {len(rows) - len(shown)} more rows (--limit 0 shows all)")
