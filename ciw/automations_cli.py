"""``ciw automations list`` and ``ciw automations run [--dry-run]``: the marketing automation
rules (seed automation_rules) and a run of the enabled ones against the latest marts."""

from __future__ import annotations

import json

import click

from ciw.options import CommandError, announce, target_option
from warehouse.settings import Settings


class AutomationsFailed(CommandError):
    """A rule table or warehouse problem, shown as one ``ciw: error:`` line."""


@click.group("automations")
def automations_group() -> None:
    """Marketing automations: rules that message, segment or start a campaign for customers."""


@automations_group.command("list")
def list_command() -> None:
    """Show the rules, highest priority first (dbt_project/seeds/automation_rules.csv)."""
    from automations.rules import RuleError, read_rules

    try:
        rules = read_rules()
    except RuleError as error:
        raise AutomationsFailed(str(error)) from None
    click.echo(f"{'rule_id':<26} {'on':<3} {'prio':>4}  {'trigger':<18} {'action':<17} params")
    for rule in rules:
        click.echo(
            f"{rule.rule_id:<26} {'yes' if rule.enabled else 'no':<3} {rule.priority:>4}  "
            f"{rule.trigger:<18} {rule.action:<17} {json.dumps(rule.params, sort_keys=True)}"
        )


@automations_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would run; act on nothing, log nothing.")
@target_option
def run_command(dry_run: bool, target: str | None) -> None:
    """Run the enabled rules against the latest marts; each execution is logged in
    ops.automation_runs, and a rule runs at most once per customer in 24 hours.

    Campaign webhooks: CIW_MARKETING_WEBHOOK_URL and CIW_MARKETING_WEBHOOK_SECRET (HMAC-SHA256
    signed; without a URL, requests go to a local outbox file). Messages: the notifier's Slack
    and email settings (docs/alerts.md).
    """
    from automations.engine import run_automations
    from automations.rules import RuleError

    settings = Settings.from_env(target)
    announce(f"automations on {settings.describe()}", dry_run=dry_run)
    try:
        report = run_automations(settings, dry_run=dry_run)
    except RuleError as error:
        raise AutomationsFailed(str(error)) from None
    if dry_run:
        for rule, match in report.planned:
            click.echo(
                f"{rule.rule_id}: {rule.action} for customer {match.customer_id} ({match.reason})"
            )
    for reason in report.errors[:5]:
        click.echo(f"failed: {reason}", err=True)
    click.echo(report.summary())
