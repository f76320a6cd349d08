"""``ciw spark serve``: one Spark driver for every command on this machine, over Spark Connect.

Without it, each command on the Spark target (a load, each dbt step, each Python step of a
run) starts a JVM of its own, and the embedded Derby metastore admits one of them at a time.
"""

from __future__ import annotations

import signal
from dataclasses import replace

import click

from ciw.options import CommandError
from warehouse.settings import Settings

DEFAULT_PORT = 15002


class SparkServeFailed(CommandError):
    """The server could not start: one ``ciw: error:`` line."""


@click.group("spark")
def spark_group() -> None:
    """The Spark target's own tools (docs/spark.md)."""


@spark_group.command("serve")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Spark Connect's port on localhost.",
)
def serve_command(port: int) -> None:
    """Serve the Spark warehouse (CIW_SPARK_WAREHOUSE, its metastore and CIW_SPARK_* settings)
    over Spark Connect on localhost until Ctrl-C. Commands with
    CIW_SPARK_REMOTE=sc://localhost:PORT and the same SPARK_CONNECT_AUTHENTICATE_TOKEN in their
    environment then share this driver: no JVM start per command or dbt step, and several
    commands at once on the one embedded metastore."""
    from warehouse.connections import WarehouseUnavailable
    from warehouse.spark import stop_spark_session
    from warehouse.spark_connect import start_connect_server

    settings = replace(Settings.from_env("spark"), spark_remote="")
    try:
        start_connect_server(settings, port)
    except WarehouseUnavailable as refused:
        raise SparkServeFailed(str(refused)) from None
    click.echo(
        f"serving {settings.describe()} over Spark Connect: "
        f"CIW_SPARK_REMOTE=sc://localhost:{port} (with the same "
        f"SPARK_CONNECT_AUTHENTICATE_TOKEN); Spark's log: {settings.spark_log_path}; "
        "Ctrl-C stops",
        err=True,
    )
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        signal.sigwait(stop_signals)
    finally:
        stop_spark_session()
    click.echo("Spark Connect server stopped", err=True)
