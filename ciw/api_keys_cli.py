"""``ciw api-keys``: create, list and revoke the service's API keys.

A key is printed once, when created; the warehouse keeps only its salted hash.
"""

from __future__ import annotations

import click

from ciw.options import CommandError, target_option
from warehouse.settings import Settings


@click.group("api-keys")
def api_keys_group() -> None:
    """API keys of the HTTP service (`ciw serve`): one per person, with a role."""


@api_keys_group.command("create")
@click.option(
    "--role",
    type=click.Choice(["rep", "manager", "cro", "admin"]),
    required=True,
    help="rep: own book; manager: their team; cro, admin: everything.",
)
@click.option("--user", "user_id", required=True, help="The holder's CRM user id (USR0004).")
@target_option
def create_command(role: str, user_id: str, target: str | None) -> None:
    """Create a key and print it once (store it now: it cannot be shown again)."""
    from service.keys import KeyRequestError, KeyStore

    try:
        key_id, raw_key = KeyStore(Settings.from_env(target)).create(role, user_id)
    except KeyRequestError as refused:
        raise CommandError(str(refused)) from None
    click.echo(f"key {key_id} for {user_id} ({role}); shown once, keep it secret:", err=True)
    click.echo(raw_key)


@api_keys_group.command("list")
@target_option
def list_command(target: str | None) -> None:
    """Every key: id, role, user, when created and revoked (never the key)."""
    from service.keys import KeyStore

    rows = KeyStore(Settings.from_env(target)).list()
    if not rows:
        click.echo("no API keys yet: `ciw api-keys create --role ROLE --user CRM_USER_ID`")
        return
    click.echo(f"{'key id':<14}{'role':<9}{'user':<14}{'created':<21}revoked")
    for row in rows:
        created = f"{row['created_at']:%Y-%m-%d %H:%M:%S}"
        revoked = f"{row['revoked_at']:%Y-%m-%d %H:%M:%S}" if row["revoked_at"] else "-"
        click.echo(f"{row['key_id']:<14}{row['role']:<9}{row['user_id']:<14}{created:<21}{revoked}")


@api_keys_group.command("revoke")
@click.argument("key_id")
@target_option
def revoke_command(key_id: str, target: str | None) -> None:
    """Revoke a key: the service refuses it within a second (DuckDB) or two (PostgreSQL)."""
    from service.keys import KeyStore

    if not KeyStore(Settings.from_env(target)).revoke(key_id):
        raise CommandError(f"no active API key {key_id!r} (see `ciw api-keys list`)")
    click.echo(f"revoked key {key_id}")
