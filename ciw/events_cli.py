"""``ciw events``: serve the signed event webhooks, run the event worker, show the queue.

Kept apart from ``ciw.cli`` (which adds the group); FastAPI, Feast and the models are imported
inside the commands, so ``ciw --help`` stays fast.
"""

from __future__ import annotations

import os

import click

from ciw.notify_cli import NotifyFailed
from ciw.options import target_option
from warehouse.settings import Settings


class EventsFailed(NotifyFailed):
    """A user error from the events commands: one ``ciw: error:`` line."""


@click.group("events")
def events_group() -> None:
    """Events scored as they happen: POST /events/{source}, the worker, the queue."""


def _require_secrets() -> None:
    from events.schemas import SOURCES

    if not any(os.environ.get(source.secret_env) for source in SOURCES.values()):
        names = ", ".join(source.secret_env for source in SOURCES.values())
        raise EventsFailed(f"no event source has a secret: set one of {names}")


@events_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8002, show_default=True)
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="Also run the event worker in this process (the embedded default; DuckDB takes one "
    "process per file). With --no-worker, run `ciw events worker` beside it (PostgreSQL).",
)
@target_option
def serve_command(host: str, port: int, worker: bool, target: str | None) -> None:
    """Serve POST /events/{source} on its own (until `ciw serve` mounts it with the API).

    Each source needs its secret, CIW_EVENTS_SECRET_<SOURCE>; sources without one answer 503.
    """
    import uvicorn

    from events.service import EventsService
    from service.routers.events import standalone_app

    _require_secrets()
    settings = Settings.from_env(target)
    service = EventsService.open(settings)
    click.echo(
        f"events at http://{host}:{port}/events/{{source}} on {settings.describe()}"
        + (" with the worker" if worker else ""),
        err=True,
    )
    uvicorn.run(standalone_app(service, worker=worker), host=host, port=port, log_level="warning")


@events_group.command("worker")
@target_option
def worker_command(target: str | None) -> None:
    """Run the event worker in the foreground (PostgreSQL: beside `ciw events serve
    --no-worker`). Ctrl-C stops it; pending events wait in ops.event_inbox."""
    import time

    from events.service import EventsService
    from events.worker import start_worker

    settings = Settings.from_env(target)
    if settings.is_embedded:
        raise EventsFailed(
            "on DuckDB the worker runs inside `ciw events serve` (one process per file)"
        )
    running = start_worker(EventsService.open(settings))
    click.echo(f"event worker on {settings.describe()} (Ctrl-C stops)", err=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        running.stop()


@events_group.command("status")
@target_option
def status_command(target: str | None) -> None:
    """Events in ops.event_inbox by source and status, and waiting timers."""
    from events.inbox import INBOX_TABLE
    from events.store import TIMERS_TABLE
    from warehouse import adapter_for

    settings = Settings.from_env(target)
    with adapter_for(settings).session() as session:
        if not session.table_exists(INBOX_TABLE):
            click.echo("no events received yet")
            return
        rows = session.execute(
            f"select source, status, count(*) from {INBOX_TABLE} group by source, status "
            "order by source, status"
        )
        timers = (
            session.execute(
                f"select kind, count(*) from {TIMERS_TABLE} where status = 'waiting' group by kind"
            )
            if session.table_exists(TIMERS_TABLE)
            else []
        )
    for source, status, count in rows:
        click.echo(f"{source:<16} {status:<12} {count:>8}")
    for kind, count in timers:
        click.echo(f"timer {kind:<20} waiting {count:>6}")


def bench_events(customers: int, target: str) -> None:
    """``ciw bench --events``: the events benchmark (benchmarks/events.py), figures on screen."""
    from benchmarks.events import run_events_benchmark

    phases = run_events_benchmark(target, customers=customers, echo=lambda line: click.echo(line))
    click.echo("")
    for phase in phases:
        click.echo(phase.line())
