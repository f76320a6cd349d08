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
from datetime import UTC, datetime
from typing import Any

from events.schemas import EventSource
from events.validation import Checked, Record, check_records
from sources.contract import METADATA_COLUMNS
from sources.load.ddl import QUARANTINE_COLUMNS, QUARANTINE_RELATION, ensure_tables, quote
from warehouse import adapter_for
from warehouse.adapters import Session
from warehouse.settings import Settings

INBOX_TABLE = "ops.event_inbox"
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


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Accepted:
    """What the endpoint answers: ``accepted`` (202), ``quarantined`` (422) or, for a repeat,
    ``duplicate`` with the first outcome."""

    outcome: str
    reason: str | None = None
    first_outcome: str | None = None


@dataclass(frozen=True)
class InboxEvent:
    source: str
    event_id: str
    entity_id: str | None
    data: dict[str, Any]
    received_at: datetime
    attempts: int


def batch_id(source: str, event_id: str) -> str:
    """The raw rows' ``_batch_id`` of one event (what ties a raw row to its inbox row)."""
    return f"event:{source}:{event_id}"


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
        self._lock = self._commit_lock if settings.target == "duckdb" else None
        self._queue_lock = threading.Lock()
        self._waiting: list[_Ticket] = []
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

        Group commit: requests arriving while a group is validated and committed wait for it,
        then the next one to get the lock validates all of them (one query per source and set
        of keys, ``events.validation``) and commits them in one transaction (a DuckDB commit
        costs the same for one row as for a hundred). A failing group is retried one event at
        a time, so one bad event cannot refuse its neighbours.
        """
        ticket = _Ticket(source, event_id, data)
        with self._queue_lock:
            self._waiting.append(ticket)
        with self._commit_lock:
            if ticket.result is None and ticket.error is None:
                with self._queue_lock:
                    group, self._waiting = self._waiting, []
                self._commit(_validated(group))
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        return ticket.result

    def _commit(self, group: list[_Ticket]) -> None:
        try:
            with self._adapter.session(transaction=True) as session:
                results = [_store(session, ticket) for ticket in group]
        except Exception:
            if len(group) == 1:
                group[0].error = _failure()
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
    ``failed`` with the error (the raw row stays either way)."""
    now = utc_now()
    for event in events:
        attempts = event.attempts + 1
        status = "done" if error is None else ("failed" if attempts >= MAX_ATTEMPTS else "pending")
        session.execute(
            f"update {INBOX_TABLE} set status = %s, attempts = %s, error = %s, "
            "processed_at = %s where source = %s and event_id = %s",
            (status, attempts, error, now, event.source, event.event_id),
        )


@dataclass
class _Ticket:
    source: EventSource
    event_id: str
    data: dict[str, Any]
    checked: Checked | None = None
    result: Accepted | None = None
    error: BaseException | None = None


def _validated(group: list[_Ticket]) -> list[_Ticket]:
    """The group's rows checked by the loader's rules, one call per source; the tickets that
    could not be checked get their error and are left out."""
    loaded_at = utc_now()
    by_source: dict[str, list[_Ticket]] = {}
    for ticket in group:
        by_source.setdefault(ticket.source.name, []).append(ticket)
    valid: list[_Ticket] = []
    for tickets in by_source.values():
        table = tickets[0].source.table
        records = [Record(t.data, f"events/{t.source.name}/{t.event_id}") for t in tickets]
        try:
            checked = check_records(table, records, loaded_at)
        except Exception:
            for ticket in tickets:
                ticket.error = _failure()
            continue
        for ticket, result in zip(tickets, checked, strict=True):
            ticket.checked = result
            valid.append(ticket)
    return valid


def _failure() -> BaseException:
    import sys

    error = sys.exc_info()[1]
    return error if error is not None else RuntimeError("the event could not be stored")


def _store(session: Session, ticket: _Ticket) -> Accepted:
    """One event's rows, in the caller's transaction."""
    source, event_id, checked = ticket.source, ticket.event_id, ticket.checked
    assert checked is not None
    now = utc_now()
    table = source.table
    values = checked.values
    entity = None if values is None else values.get(source.entity_column)
    status = "pending" if values is not None else "quarantined"
    payload = json.dumps(values, default=str) if values is not None else checked.raw_record
    inserted = session.execute(
        f"insert into {INBOX_TABLE} (source, event_id, table_key, entity_id, status, "
        "reason, payload, received_at, attempts) values (%s, %s, %s, %s, %s, %s, %s, "
        "%s, 0) on conflict do nothing returning status",
        (
            source.name,
            event_id,
            table.key,
            None if entity is None else str(entity),
            status,
            checked.reason,
            payload,
            now,
        ),
    )
    if not inserted:
        first = session.execute(
            f"select status, reason from {INBOX_TABLE} where source = %s and event_id = %s",
            (source.name, event_id),
        )
        first_status, reason = first[0] if first else ("pending", None)
        outcome = "quarantined" if first_status == "quarantined" else "accepted"
        return Accepted("duplicate", reason, outcome)
    batch = batch_id(source.name, event_id)
    source_file = f"events/{source.name}/{event_id}"
    if values is not None:
        columns = [*table.column_names, *METADATA_COLUMNS]
        row = [*(values[name] for name in table.column_names), batch, source_file, 1, now]
        session.execute(_insert(table.relation, columns), row)
    else:
        session.execute(
            _insert(QUARANTINE_RELATION, list(QUARANTINE_COLUMNS)),
            (
                batch,
                table.key,
                source_file,
                1,
                checked.columns,
                checked.reason,
                checked.raw_record,
                now,
            ),
        )
    return Accepted("accepted" if values is not None else "quarantined", checked.reason)


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
        if settings.target == "duckdb":
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


def _insert(relation: str, columns: Sequence[str]) -> str:
    names = ", ".join(quote(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"insert into {relation} ({names}) values ({marks})"
