"""``ciw dbt ARGS...``: dbt itself, pointed at the chosen warehouse.

The same environment the pipeline gives dbt (the warehouse's connection, DuckDB's memory and
threads, Spark's session settings), so an engineer's ``dbt build --select staging`` reaches the
warehouse ``--target`` names without setting any of it by hand. dbt's output is shown as is.
"""

from __future__ import annotations

import click

from ciw.options import CommandError, target_option
from warehouse.settings import Settings


@click.command(
    "dbt",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@target_option
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED, required=True)
def dbt_command(target: str | None, arguments: tuple[str, ...]) -> None:
    """Run dbt with ARGUMENTS on the warehouse (e.g. `ciw dbt --target spark build -s staging`)."""
    from warehouse.dbt import DbtFailure, run_dbt

    settings = Settings.from_env(target)
    try:
        result = run_dbt(list(arguments), settings)
    except DbtFailure as failure:
        raise CommandError(str(failure)) from None
    click.echo(f"dbt on {settings.describe()}: {result.summary()}", err=True)
