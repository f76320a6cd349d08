"""Where the service reads from, so that it keeps answering while a daily run writes.

- DuckDB: the read-only snapshot of the marts that each run publishes at its end
  (``service.snapshot``). The service holds a read-only connection to the current snapshot
  file and reopens it when a newer one has replaced it (checked at most every second); it
  never opens the warehouse file itself for a read, so a run holding DuckDB's writer lock
  changes nothing for it.
- PostgreSQL: the marts themselves, on pooled connections that take on the read-only BI role
  (``ciw_bi_reader``, ``CIW_SERVICE_PG_ROLE``) and read only.

``live_session`` is the one way to the warehouse itself (alert changes): on DuckDB it first
takes the run lock shared and without waiting, so it never collides with a run, and says
:class:`WarehouseBusy` while one holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from warehouse.adapters import Session
from warehouse.settings import Settings

BI_ROLE_ENV = "CIW_SERVICE_PG_ROLE"
DEFAULT_BI_ROLE = "ciw_bi_reader"
PUBLICATIONS_TABLE = "ops.marts_publications"


class MartsUnavailable(RuntimeError):
    """The marts cannot be read (no snapshot yet, server down); the message says what to do."""


class WarehouseBusy(RuntimeError):
    """A run holds the DuckDB warehouse; the change has to wait for it."""


def snapshot_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "service" / "marts_snapshot.duckdb"


class MartsReader:
    """Read-only queries on the marts (``%s`` placeholders, schema-qualified names)."""

    def __init__(self, settings: Settings, *, check_seconds: float = 1.0) -> None:
        self.settings = settings
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connection: Any = None
        self._stamp: tuple[int, int] | None = None
        self._generation = 0
        self._checked_at = float("-inf")
        self._pool: Any = None
        self._published: tuple[float, datetime | None] = (float("-inf"), None)
        self._tables: dict[str, bool] = {}
        self._current: tuple[int, Any, str] = (0, None, "memory")
        self._tables_key: int | None = None

    # -- queries ----------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self.settings.is_embedded:
            cursor = self._duckdb_cursor()
            result = cursor.execute(sql.replace("%s", "?"), list(params))
            names = [column[0] for column in result.description or ()]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        with self._postgres() as connection, connection.cursor() as cursor:
            cursor.execute(sql, list(params) if params else None)
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def has_table(self, qualified_name: str) -> bool:
        """Whether the marts hold this table (remembered per snapshot, or for a minute)."""
        key = self._generation if self.settings.is_embedded else int(time.monotonic() // 60)
        if self._tables_key != key:
            self._tables = {}
        known = self._tables.get(qualified_name)
        if known is not None:
            return known
        schema, table = qualified_name.split(".", 1)
        found = self.rows(
            "select count(*) as found from information_schema.tables"
            " where table_schema = %s and table_name = %s",
            (schema, table),
        )
        if self.settings.is_embedded:
            key = self._generation  # the query may have opened a newer snapshot
        self._tables_key = key
        self._tables[qualified_name] = bool(found[0]["found"])
        return self._tables[qualified_name]

    def published_at(self) -> datetime | None:
        """When the marts this reader serves were last published by a run (UTC, naive)."""
        if self.settings.is_embedded:
            self._duckdb_cursor()  # reopens a replaced snapshot first
            found = self.rows("select max(published_at) as at from service_meta.publication")
            return found[0]["at"] if found else None
        checked_at, value = self._published
        if time.monotonic() - checked_at < 30:
            return value
        from warehouse import adapter_for

        with adapter_for(self.settings).session() as session:
            value = None
            if session.table_exists(PUBLICATIONS_TABLE):
                value = session.execute(f"select max(published_at) from {PUBLICATIONS_TABLE}")[0][0]
        self._published = (time.monotonic(), value)
        return value

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    # -- DuckDB: the published snapshot -----------------------------------------------------

    def _duckdb_cursor(self) -> Any:
        now = time.monotonic()
        if self._connection is None or now - self._checked_at >= self.check_seconds:
            self._reopen_if_replaced(now)
        local = self._local
        generation, connection, catalog = self._current  # one consistent triple
        if getattr(local, "generation", None) != generation:
            local.cursor = connection.cursor()
            local.cursor.execute(f"use {catalog}")
            local.generation = generation
        return local.cursor

    def _reopen_if_replaced(self, now: float) -> None:
        import duckdb

        path = snapshot_path(self.settings)
        with self._lock:
            try:
                status = path.stat()
            except FileNotFoundError:
                if self._connection is not None:  # keep serving the one already open
                    self._checked_at = now
                    return
                raise MartsUnavailable(
                    f"no marts snapshot at {path} yet: run `ciw run` (each run publishes one at "
                    "its end) or restart `ciw serve`, which publishes one when it can"
                ) from None
            stamp = (status.st_ino, status.st_mtime_ns)
            if stamp != self._stamp or self._connection is None:
                # Attached to an in-memory database rather than opened by path: DuckDB shares
                # one instance per path in a process, and would hand back the replaced file.
                fresh = duckdb.connect(":memory:")
                catalog = f"snapshot_{self._generation + 1}"
                quoted = str(path).replace("'", "''")
                fresh.execute(f"attach '{quoted}' as {catalog} (read_only)")
                fresh.execute(f"use {catalog}")
                old, self._connection = self._connection, fresh
                self._stamp = stamp
                self._generation += 1
                self._current = (self._generation, fresh, catalog)
                if old is not None:
                    # Threads still inside a query keep their own cursor; closing the parent
                    # connection now would cut them off, so the old one is left to the GC.
                    pass
            self._checked_at = now

    # -- PostgreSQL: the read-only role -----------------------------------------------------

    @contextlib.contextmanager
    def _postgres(self) -> Iterator[Any]:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._open_pool()
        try:
            with self._pool.connection(timeout=5) as connection:
                yield connection
        except Exception as error:
            from psycopg import OperationalError
            from psycopg_pool import PoolTimeout

            if isinstance(error, OperationalError | PoolTimeout):
                raise MartsUnavailable(
                    f"cannot read the marts on {self.settings.describe()}"
                ) from None
            raise

    def _open_pool(self) -> Any:
        from psycopg import sql
        from psycopg_pool import ConnectionPool

        role = os.environ.get(BI_ROLE_ENV, DEFAULT_BI_ROLE)

        def configure(connection: Any) -> None:
            connection.autocommit = True
            connection.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            connection.execute("set default_transaction_read_only = on")

        return ConnectionPool(
            self.settings.pg_conninfo(),
            min_size=1,
            max_size=4,
            configure=configure,
            open=True,
            name="ciw-service",
        )


# -- the warehouse itself ------------------------------------------------------------------------


@contextlib.contextmanager
def live_session(settings: Settings) -> Iterator[Session]:
    """A session on the warehouse for a change; :class:`WarehouseBusy` while a run holds it."""
    from warehouse import adapter_for

    if not settings.is_embedded:
        with adapter_for(settings).session() as session:
            yield session
        return
    import duckdb

    from warehouse.adapters import DuckDBSession
    from warehouse.locks import run_lock_path

    path = run_lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy("a pipeline run holds the warehouse; try again after it") from None
        try:
            connection = duckdb.connect(str(settings.duckdb_path))
        except (duckdb.IOException, duckdb.ConnectionException) as busy:
            # another process (not a run) has the file open, or this one, read-only
            first = str(busy).strip().splitlines()[0]
            raise WarehouseBusy(f"the warehouse file is in use ({first}); try again") from None
        try:
            yield DuckDBSession(connection)
        finally:
            connection.close()
