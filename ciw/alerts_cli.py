"""``ciw alerts``: list alerts with their lifecycle status and move them along it.

The rules live in ``notifier.lifecycle`` (the Slack buttons and the HTTP API call the same
functions). The command-line operator acts as ``admin`` unless ``--as`` names a CRM user, whose
permissions then apply.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import click

from ciw.notify_cli import NotifyFailed
from ciw.options import target_option
from warehouse.settings import Settings

if TYPE_CHECKING:
    from notifier.lifecycle import Actor


@click.group("alerts")
def alerts_group() -> None:
    """Alert lifecycle: open → acknowledged → in_progress → resolved (or dismissed)."""


@alerts_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["open", "acknowledged", "in_progress", "resolved", "dismissed"]),
    help="Only alerts in this status (repeatable).",
)
@click.option("--owner", help="Owner's CRM user id or name, or the assignee's id.")
@click.option("--type", "alert_type", help="Alert type, e.g. high_risk_deal.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@target_option
def list_command(
    statuses: tuple[str, ...],
    owner: str | None,
    alert_type: str | None,
    limit: int,
    target: str | None,
) -> None:
    """Alerts, newest first, with status, owner and assignee."""
    from notifier.alert_list import list_alerts
    from notifier.config import NotifierError

    try:
        rows = list_alerts(
            Settings.from_env(target),
            status=statuses,
            owner=owner,
            alert_type=alert_type,
            limit=limit,
        )
    except NotifierError as error:
        raise NotifyFailed(str(error)) from None
    for row in rows:
        click.echo(
            f"{row['alert_id']}  {row['status']:<12} {row['severity']:<8} {row['alert_type']:<20}"
            f" owner={row['owner_user_id'] or '-'} assigned={row['assigned_to'] or '-'}"
            f"  {row['title']}"
        )
    click.echo(f"{len(rows)} alerts", err=True)


def _change(
    alert_id: str,
    target: str | None,
    acting_as: str | None,
    *,
    status: str | None = None,
    assigned_to: str | None = None,
    note: str | None = None,
) -> None:
    from notifier.config import NotifierError
    from notifier.lifecycle import Actor, change_alert

    settings = Settings.from_env(target)
    actor = Actor(name=f"cli:{getpass.getuser()}", source="cli", role="admin")
    try:
        if acting_as:
            actor = _crm_actor(settings, acting_as)
        state = change_alert(
            settings, alert_id, actor, status=status, assigned_to=assigned_to, note=note
        )
    except NotifierError as error:
        raise NotifyFailed(str(error)) from None
    assignee = f", assigned to {state.assigned_to}" if state.assigned_to else ""
    click.echo(f"{state.alert_id}: {state.status}{assignee} (by {state.updated_by or '-'})")


def _crm_actor(settings: Settings, user_id: str) -> Actor:
    from notifier.lifecycle import Actor, UnknownAlert
    from notifier.people import crm_user
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        user = crm_user(session, user_id)
    if user is None:
        raise UnknownAlert(f"--as {user_id}: no such CRM user")
    return Actor.for_user(user, "cli")


_as_option = click.option(
    "--as", "acting_as", help="Act as this CRM user (their permissions apply)."
)
_note_option = click.option("--note", help="A note kept with the change.")


@alerts_group.command("ack")
@click.argument("alert_id")
@_note_option
@_as_option
@target_option
def ack_command(alert_id: str, note: str | None, acting_as: str | None, target: str | None) -> None:
    """Acknowledge an alert."""
    _change(alert_id, target, acting_as, status="acknowledged", note=note)


@alerts_group.command("start")
@click.argument("alert_id")
@_note_option
@_as_option
@target_option
def start_command(
    alert_id: str, note: str | None, acting_as: str | None, target: str | None
) -> None:
    """Mark an alert in progress."""
    _change(alert_id, target, acting_as, status="in_progress", note=note)


@alerts_group.command("assign")
@click.argument("alert_id")
@click.argument("user_id")
@_note_option
@_as_option
@target_option
def assign_command(
    alert_id: str, user_id: str, note: str | None, acting_as: str | None, target: str | None
) -> None:
    """Assign an alert to a CRM user."""
    _change(alert_id, target, acting_as, assigned_to=user_id, note=note)


@alerts_group.command("resolve")
@click.argument("alert_id")
@click.option("--note", help="Resolution note: what was done.")
@_as_option
@target_option
def resolve_command(
    alert_id: str, note: str | None, acting_as: str | None, target: str | None
) -> None:
    """Resolve an alert, with a resolution note."""
    _change(alert_id, target, acting_as, status="resolved", note=note)


@alerts_group.command("dismiss")
@click.argument("alert_id")
@click.option("--note", help="Why the alert is dismissed.")
@_as_option
@target_option
def dismiss_command(
    alert_id: str, note: str | None, acting_as: str | None, target: str | None
) -> None:
    """Dismiss an alert (not acted on), with a note saying why."""
    _change(alert_id, target, acting_as, status="dismissed", note=note)


@alerts_group.command("serve-actions")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@target_option
def serve_actions_command(host: str, port: int, target: str | None) -> None:
    """Serve POST /slack/actions (Slack's interactivity URL) on its own.

    Needs SLACK_SIGNING_SECRET (requests are verified) and SLACK_BOT_TOKEN (messages are
    updated with chat.update). `ciw serve` mounts the same router once the HTTP service exists.
    """
    import os

    import uvicorn

    from notifier.signing import SIGNING_SECRET_ENV
    from service.routers.slack_actions import standalone_app

    if not os.environ.get(SIGNING_SECRET_ENV):
        raise NotifyFailed(f"{SIGNING_SECRET_ENV} is not set: Slack requests cannot be verified")
    if target:
        os.environ["CIW_TARGET"] = target
    click.echo(f"Slack actions at http://{host}:{port}/slack/actions", err=True)
    uvicorn.run(standalone_app(), host=host, port=port, log_level="info")
