"""``ciw notify`` and ``ciw feedback``: deliver pending alerts to Slack; record CSM feedback.

Kept apart from ``ciw.cli`` (which adds these commands) so the notifier's options live beside
the notifier. Imports of the notifier happen inside the commands, so ``ciw --help`` stays fast.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from ciw.options import CommandError, announce, target_option
from warehouse.settings import Settings


class NotifyFailed(CommandError):
    """A user error from the notifier, shown as one ``ciw: error:`` line like every command's."""


@click.command("notify")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Render the pending messages and print them; send nothing, log nothing.",
)
@target_option
def notify_command(dry_run: bool, target: str | None) -> None:
    """Deliver pending alerts from marts.alerts to Slack, Teams and email, exactly once.

    Immediate (critical) alerts go at once, one message each; within_24h ones in the daily
    digest per recipient, within_week ones in the weekly digest. Teams: TEAMS_WEBHOOK_URL;
    email: SMTP_HOST and friends (docs/alerts.md).
    Slack settings: SLACK_BOT_TOKEN (Web API; SLACK_API_URL for a stand-in or proxy) or
    SLACK_WEBHOOK_URL, and SLACK_DEFAULT_CHANNEL for recipients Slack cannot reach. Without
    credentials the messages are written to a local outbox file. A webhook message whose answer
    is lost is recorded as unknown and not resent (SLACK_WEBHOOK_AMBIGUOUS=skip, the default)
    or sent again (SLACK_WEBHOOK_AMBIGUOUS=retry: at least once).
    """
    from notifier.config import NotifierError, SlackConfig
    from notifier.delivery import deliver_pending

    settings = Settings.from_env(target)
    try:
        config = SlackConfig.from_env()
    except NotifierError as error:
        raise NotifyFailed(str(error)) from None
    announce(f"alerts from {settings.describe()} to {config.describe()}", dry_run=dry_run)
    try:
        report = deliver_pending(settings, dry_run=dry_run, config=config)
    except NotifierError as error:
        raise NotifyFailed(config.scrub(str(error))) from None
    if dry_run:
        for message in report.planned:
            click.echo(f"--- {message.kind} to {message.destination}")
            click.echo(message.text)
    click.echo(report.summary())


@click.command("feedback")
@click.argument("alert_id", required=False)
@click.option(
    "--accuracy",
    type=click.Choice(["accurate", "somewhat_accurate", "inaccurate"]),
    help="Was the alert right?",
)
@click.option(
    "--relevance",
    type=click.Choice(["very_relevant", "relevant", "not_relevant"]),
    help="Did it matter to you?",
)
@click.option(
    "--effectiveness",
    type=click.Choice(["very_effective", "effective", "not_effective"]),
    help="Did the suggested actions work?",
)
@click.option("--priority", type=click.IntRange(1, 5), help="Priority 1 (lowest) to 5 (highest).")
@click.option("--comment", default=None, help="Free text.")
@click.option("--by", "recorded_by", default=None, help="Who gives the feedback. Default: $USER.")
@click.option(
    "--file",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Import a CSV instead: alert_id, alert_accuracy, alert_relevance, "
    "action_effectiveness, priority_rating[, comment, recorded_by, recorded_at].",
)
@target_option
def feedback_command(
    alert_id: str | None,
    accuracy: str | None,
    relevance: str | None,
    effectiveness: str | None,
    priority: int | None,
    comment: str | None,
    recorded_by: str | None,
    csv_file: Path | None,
    target: str | None,
) -> None:
    """Record feedback on ALERT_ID (all four ratings), or import a CSV file with --file.

    Feedback is stored in ops.alert_feedback and summarised in marts.alert_feedback_summary.
    """
    from notifier.config import NotifierError
    from notifier.feedback import import_feedback_csv, parse_feedback, record_feedback
    from notifier.store import utc_now

    settings = Settings.from_env(target)
    who = recorded_by or _current_user()
    try:
        if csv_file is not None:
            if alert_id:
                raise NotifyFailed("give either ALERT_ID or --file, not both")
            count = import_feedback_csv(settings, csv_file, recorded_by=who, now=utc_now())
            click.echo(f"imported {count} feedback rows from {csv_file}")
            return
        missing = [
            option
            for option, value in (
                ("ALERT_ID", alert_id),
                ("--accuracy", accuracy),
                ("--relevance", relevance),
                ("--effectiveness", effectiveness),
                ("--priority", priority),
            )
            if value is None
        ]
        if missing:
            raise NotifyFailed(f"missing {', '.join(missing)} (or use --file CSV)")
        values = {
            "alert_id": alert_id,
            "alert_accuracy": accuracy,
            "alert_relevance": relevance,
            "action_effectiveness": effectiveness,
            "priority_rating": str(priority),
            "comment": comment,
        }
        feedback = parse_feedback(values, recorded_by=who, now=utc_now())
        feedback_id = record_feedback(settings, feedback)
    except NotifierError as error:
        raise NotifyFailed(str(error)) from None
    click.echo(f"recorded feedback {feedback_id} on alert {feedback.alert_id}")


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
