"""``ciw serve``: the HTTP API (and pages) on uvicorn."""

from __future__ import annotations

import logging
import os

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
    if publish and settings.is_embedded:
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
    os.environ.setdefault("CIW_API_LOG_SECONDS", "60")  # request timings for the ops thresholds
    app = create_app(settings)
    click.echo(
        f"serving {settings.describe()} on http://{host}:{port} (API docs: /docs); "
        f"log: {log_path}; Ctrl-C stops",
        err=True,
    )
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=True)
    finally:
        app.state.request_log.stop()  # what the last minute answered


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


def bench_api(
    settings: Settings,
    customers: int,
    seed: int,
    duration: float,
    rates_text: str,
    rebuild: bool,
    markdown: bool,
) -> None:
    """``ciw bench --api``: the profile endpoint at each rate; figures on screen."""
    from benchmarks.api import api_markdown, machine_load, run_api_benchmark
    from benchmarks.stages import BENCH_DIR

    try:
        rates = [int(part) for part in rates_text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"--rates must be whole numbers, got {rates_text!r}") from None
    if not rates or min(rates) < 1:
        raise click.BadParameter("--rates needs at least one positive rate")
    result = run_api_benchmark(
        customers,
        settings,
        work_dir=BENCH_DIR,
        rates=rates,
        seconds=duration,
        seed=seed,
        rebuild=rebuild,
        say=lambda line: click.echo(line, err=True),
    )
    load = machine_load()
    click.echo(f"profile endpoint, {result.customers:,} customers; {result.generator}; {load}")
    for level in result.levels:
        click.echo(
            f"  {level.rate:>5} req/s offered: {level.requests:,} requests in {level.seconds:g} s,"
            f" p50 {level.p50_ms:g} ms, p99 {level.p99_ms:g} ms, max {level.max_ms:g} ms,"
            f" errors {level.errors}"
        )
    for page in result.pages:
        click.echo(
            f"  page {page.page} ({page.role}): first byte p50 {page.p50_ms:.1f} ms,"
            f" p95 {page.p95_ms:.1f} ms, HTTP {page.status}"
        )
    if markdown:
        click.echo(api_markdown(result, load))
