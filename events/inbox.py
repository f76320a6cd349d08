"""The warehouse side of accepting an event, and the queue: ``ops.event_inbox``.

Accepting is one transaction: the inbox row (primary key source + event id, so a repeat
inserts nothing) with the raw row or the quarantine row. When it commits the event is durable
(a raw row or a quarantine row); only then does the caller get its 202 / 422. Accepted events
wait in the inbox as ``pending`` until the worker marks them ``done`` (or ``failed`` with the
error after :data:`MAX_ATTEMPTS`): the database is the queue, on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.intake import (
    INBOX_TABLE,
    Accepted,
    Ticket,
    failure,
    store_group,
    utc_now,
    validated,
)
from events.schemas import EventSource
from sources.load.ddl import ensure_tables
from warehouse import adapter_for
from warehouse.adapters import Session
from warehouse.settings import Settings

#: Claims of one event before the worker gives up on it (its row stays, ``failed``).
MAX_ATTEMPTS = 3

INBOX_DDL = f"""
create table if not exists {INBOX_TABLE} (
    source varchar not null,
    event_id varchar not null,
    table_key varchar not null,
    entity_id varchar,
    status varchar not null,
    reason varchar,
    payload varchar not null,
    received_at timestamp not null,
    processed_at timestamp,
    attempts integer not null,
    error varchar,
    primary key (source, event_id)
)
"""
INBOX_INDEX = f"create index if not exists event_inbox_status on {INBOX_TABLE} (status)"


@dataclass(frozen=True)
class InboxEvent:
    source: str
    event_id: str
    entity_id: str | None
    data: dict[str, Any]
    received_at: datetime
    attempts: int


class Inbox:
    """Accepting, claiming and finishing events in one warehouse.

    DuckDB takes one writer per file, and its transactions in one process conflict when they
    touch the same table at once; the writes of this process go one at a time (a lock).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._adapter = _Sessions(settings)
        #: Writes of this process, one at a time (DuckDB: one writer; both: group commit).
        self._commit_lock = threading.Lock()
        self._lock = self._commit_lock if settings.is_embedded else None
        #: Guards the waiting tickets and the leader flag; the leader notifies when done.
        self._queue = threading.Condition()
        self._waiting: list[Ticket] = []
        self._leading = False
        with self._adapter.session(transaction=True) as session:
            session.lock("events:ddl")
            ensure_tables(session)
            session.ensure_schema("ops")
            session.execute(INBOX_DDL)
            if settings.target == "postgres":
                # Not on DuckDB: updating an indexed column there is a delete + insert in the
                # index, which its WAL replay after a crash can fail on.
                session.execute(INBOX_INDEX)

    def _write(self) -> Any:
        return _Guarded(self._adapter, self._lock)

    def accept(self, source: EventSource, event_id: str, data: dict[str, Any]) -> Accepted:
        """Validate and store the event (raw row or quarantine row + inbox row); returns once
        committed.

        Group commit: requests arriving while a group is validated and committed wait; when
        it is done, one of them (the leader) takes every waiting request, validates them (one
        query per source and set of keys, ``events.validation``) and commits them in one
        transaction (a commit costs the same for one row as for a hundred), and the others
        are woken with their answers. The busier the endpoint, the larger the groups and the
        cheaper each event. A failing group is retried one event at a time, so one bad event
        cannot refuse its neighbours.
        """
        ticket = Ticket(source, event_id, data)
        with self._queue:
            self._waiting.append(ticket)
            while not ticket.settled and self._leading:
                self._queue.wait()
            if ticket.settled:
                return ticket.answer()
            self._leading = True
            group, self._waiting = self._waiting, []
        try:
            with self._commit_lock:
                self._commit(validated(group))
        finally:
            with self._queue:
                self._leading = False
                for waiting in group:
                    if not waiting.settled:  # cannot happen; never leave a caller hanging
                        waiting.error = RuntimeError("the event was not stored")
                self._queue.notify_all()
        return ticket.answer()

    def _commit(self, group: list[Ticket]) -> None:
        if not group:
            return
        try:
            with self._adapter.session(transaction=True) as session:
                results = store_group(session, group)
        except Exception:
            if len(group) == 1:
                group[0].error = failure()
                return
            for ticket in group:
                self._commit([ticket])
            return
        for ticket, result in zip(group, results, strict=True):
            ticket.result = result

    def pending_count(self) -> int:
        with self._adapter.session() as session:
            rows = session.execute(f"select count(*) from {INBOX_TABLE} where status = 'pending'")
        return int(rows[0][0])

    def pending(self, limit: int) -> list[InboxEvent]:
        """The oldest pending events (what a restarted worker picks up first)."""
        with self._adapter.session() as session:
            rows = session.execute(
                "select source, event_id, entity_id, payload, received_at, attempts "
                f"from {INBOX_TABLE} where status = 'pending' order by received_at limit %s",
                (limit,),
            )
        return [
            InboxEvent(source, event_id, entity, json.loads(payload), received, attempts)
            for source, event_id, entity, payload, received, attempts in rows
        ]

    def close(self) -> None:
        """Let go of the warehouse (DuckDB: the file's lock, for the next process)."""
        with self._commit_lock:
            self._adapter.close()

    def reader(self) -> Any:
        """A reading session (autocommit) on this inbox's connection."""
        return self._adapter.session()

    def session(self) -> Any:
        """A writing session under this inbox's lock (the worker's timers and scores)."""
        return self._write()


def finish_events(session: Session, events: Sequence[InboxEvent], error: str | None) -> None:
    """``done``; after an error, back to ``pending`` until :data:`MAX_ATTEMPTS`, then
    ``failed`` with the error (the raw row stays either way). One update per source and
    outcome."""
    now = utc_now()
    groups: dict[tuple[str, str, int], list[str]] = {}
    for event in events:
        attempts = event.attempts + 1
        status = "done" if error is None else ("failed" if attempts >= MAX_ATTEMPTS else "pending")
        groups.setdefault((event.source, status, attempts), []).append(event.event_id)
    for (source, status, attempts), event_ids in groups.items():
        marks = ", ".join(["%s"] * len(event_ids))
        session.execute(
            f"update {INBOX_TABLE} set status = %s, attempts = %s, error = %s, "
            f"processed_at = %s where source = %s and event_id in ({marks})",
            (status, attempts, error, now, source, *event_ids),
        )


class _Guarded:
    """A transaction, under the process's DuckDB write lock when there is one."""

    def __init__(self, adapter: Any, lock: threading.Lock | None) -> None:
        self._adapter = adapter
        self._lock = lock
        self._context: Any = None

    def __enter__(self) -> Session:
        if self._lock is not None:
            self._lock.acquire()
        try:
            self._context = self._adapter.session(transaction=True)
            session: Session = self._context.__enter__()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        return session

    def __exit__(self, *exc: Any) -> None:
        try:
            self._context.__exit__(*exc)
        finally:
            if self._lock is not None:
                self._lock.release()


class _Sessions:
    """Sessions like ``adapter_for(settings).session()``; on DuckDB each is a cursor of one
    connection this process keeps (opening the same file from many threads at once races in
    DuckDB's instance cache)."""

    def __init__(self, settings: Settings) -> None:
        self._adapter = adapter_for(settings)
        self._duckdb: Any = None
        if settings.is_embedded:
            from warehouse.connections import connect_duckdb

            self._duckdb = connect_duckdb(settings)

    def close(self) -> None:
        if self._duckdb is not None:
            self._duckdb.close()
            self._duckdb = None

    @contextmanager
    def session(self, *, transaction: bool = False) -> Iterator[Session]:
        if self._duckdb is None:
            with self._adapter.session(transaction=transaction) as session:
                yield session
            return
        from warehouse.adapters import DuckDBSession

        cursor = self._duckdb.cursor()
        try:
            if transaction:
                cursor.begin()
            yield DuckDBSession(cursor)
            if transaction:
                cursor.commit()
        except BaseException:
            if transaction:
                cursor.rollback()
            raise
        finally:
            cursor.close()
