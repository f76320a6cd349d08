"""``ciw serve``: the HTTP API (and pages) on uvicorn."""

from __future__ import annotations

import logging

import click

from ciw.options import target_option
from warehouse.settings import Settings


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--publish/--no-publish",
    default=True,
    show_default=True,
    help="DuckDB: publish a fresh marts snapshot first when the warehouse is newer than it.",
)
@target_option
def serve_command(host: str, port: int, publish: bool, target: str | None) -> None:
    """Serve the API (OpenAPI at /docs) for the warehouse; every route needs an API key
    (`ciw api-keys create`). Ctrl-C stops. Requests are logged to a file, not the screen."""
    import uvicorn

    from service.app import create_app

    settings = Settings.from_env(target)
    if publish and settings.target == "duckdb":
        _publish_if_stale(settings)
    log_path = settings.artifacts_dir / "logs" / "service.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    app = create_app(settings)
    click.echo(
        f"serving {settings.describe()} on http://{host}:{port} (API docs: /docs); "
        f"log: {log_path}; Ctrl-C stops",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=True)


def _publish_if_stale(settings: Settings) -> None:
    from service.reader import snapshot_path
    from service.snapshot import publish_snapshot
    from warehouse import WarehouseUnavailable

    snapshot = snapshot_path(settings)
    if not settings.duckdb_path.exists():
        click.echo(f"no warehouse at {settings.duckdb_path} yet: run `ciw run` first", err=True)
        return
    if snapshot.exists() and snapshot.stat().st_mtime >= settings.duckdb_path.stat().st_mtime:
        return
    click.echo("publishing the marts snapshot the service reads ...", err=True)
    try:
        publish_snapshot(settings)
    except WarehouseUnavailable as busy:
        click.echo(f"could not publish now ({busy}); serving the previous snapshot", err=True)
