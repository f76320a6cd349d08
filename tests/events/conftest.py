"""A live events service over a copy of the session's built warehouse (so these tests change
nothing other tests read), the stand-in Slack, and a worker with a clock the test moves."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from benchmarks.http_server import serve
from events.service import EventsService
from events.worker import EventWorker
from service.routers.events import standalone_app
from tests.built import BuiltWarehouse
from tests.events.client import secret_env
from tests.notifier.conftest import bot_config
from tests.notifier.slack_standin import SlackStandIn
from warehouse.dbt import run_dbt
from warehouse.settings import Settings


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Live:
    url: str
    settings: Settings
    service: EventsService
    worker: EventWorker
    slack: SlackStandIn
    clock: Clock

    def alert_messages(self, alert_id: str) -> list[dict[str, object]]:
        return messages_of(self.slack, alert_id)

    def run_batch(self, models: str, day: date, target_path: Path) -> None:
        """The daily run's dbt models as of ``day``, once this service has let go of the
        warehouse (DuckDB: one process per file). The spine (``int_as_of_dates``) is built with
        them: the models read the run's date from it, and the built warehouse's spine ends on
        the day that warehouse was built (today), which ``day`` need not be. The date goes in
        the environment, as the pipeline gives it (dbt's vars would force a full parse)."""
        from orchestration.resources import temporary_environment

        self.worker.close()
        self.service.close()
        with temporary_environment({"CIW_AS_OF_DATE": day.isoformat()}):
            run_dbt(
                ["build", "--select", f"int_as_of_dates {models}"],
                self.settings,
                target_path=target_path,
                echo=False,
            )


def messages_of(slack: SlackStandIn, alert_id: str) -> list[dict[str, object]]:
    """The messages the stand-in Slack received for one alert (by the metadata's ids)."""
    return [
        message
        for message in slack.messages
        if alert_id
        in ((message.get("metadata") or {}).get("event_payload") or {}).get("alert_ids", [])
    ]


def copy_of(built: BuiltWarehouse, root: Path) -> Iterator[Settings]:
    """A private copy of the built warehouse and its artifacts (registry, Feast)."""
    source = built.settings
    artifacts = root / "artifacts"
    shutil.copytree(source.artifacts_dir, artifacts)
    if source.target == "duckdb":
        path = root / "warehouse.duckdb"
        shutil.copy(source.duckdb_path, path)
        wal = source.duckdb_path.with_name(source.duckdb_path.name + ".wal")
        if wal.exists():
            shutil.copy(wal, path.with_name(path.name + ".wal"))
        yield replace(source, duckdb_path=path, artifacts_root=artifacts)
        return
    import psycopg
    from psycopg import sql

    name = f"ciw_events_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(source.pg_conninfo("postgres"), autocommit=True) as admin:
        # A template must have no sessions: this test process's idle pooled connections to
        # the built warehouse (reopened on their next use) are closed first.
        admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = %s and pid <> pg_backend_pid()",
            (source.pg_database,),
        )
        admin.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(source.pg_database)
            )
        )
    try:
        copied = replace(source, pg_database=name, artifacts_root=artifacts)
        from feature_repo.store import FeatureStoreGateway

        FeatureStoreGateway(copied).sync()  # Feast's project is named after the database
        yield copied
    finally:
        with psycopg.connect(source.pg_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture
def live(
    built_warehouse: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Live]:
    for key, value in secret_env().items():
        monkeypatch.setenv(key, value)
    if built_warehouse.settings.target == "postgres":  # production: PostgreSQL + Redis
        monkeypatch.setenv("CIW_FEAST_ONLINE_STORE", "redis")
    slack = SlackStandIn().start()
    clock = Clock()
    try:
        for settings in copy_of(built_warehouse, tmp_path):
            service = EventsService.open(settings)
            worker = EventWorker(service, clock=clock, slack=bot_config(slack))
            try:
                with serve(standalone_app(service)) as url:
                    yield Live(url, settings, service, worker, slack, clock)
            finally:
                worker.close()
    finally:
        slack.stop()
