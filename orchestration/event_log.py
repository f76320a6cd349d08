"""The local Dagster instance's storage: Dagster's SQLite storage, with an event log that keeps
one SQLAlchemy engine per database file instead of building and disposing one per write.

Dagster's ``SqliteEventLogStorage`` calls ``create_engine`` for every event it stores (twice for
asset and check events, which it mirrors into the index database), so each write also misses
SQLAlchemy's compiled-statement cache, which lives on the engine. A daily run stores about
2,700 events; profiled, that was the largest cost of the run outside dbt and the models. Here:

* a run's own file keeps Dagster's connection per write (``NullPool``): closing the last
  connection checkpoints the write-ahead log into the file, whose change is what Dagster's file
  watcher (the UI's live view of a run) waits for;
* the index database, which no watcher follows, keeps one open connection: a write there costs
  an insert and a commit, not an open, a checkpoint and a close;
* every connection syncs at checkpoints, not at each commit (SQLite's advice for its WAL mode,
  which Dagster sets on these files);
* "has the index this table?", asked before many writes, is answered from memory once yes.

Replaying a daily run's 2,709 events into an empty event log took 17 s with Dagster's storage
and 6 s with this one (``python -m benchmarks.event_log``; ``docs/benchmarks.md``). The files
and tables are Dagster's own, and an instance home written by the stock storage reads the same.
``dagster.yaml`` selects it (``orchestration/instance.py`` writes the home's own path as
``base_dir`` when it copies the file to DAGSTER_HOME):

.. code-block:: yaml

    storage:
      custom:
        module: orchestration.event_log
        class: LocalDagsterStorage
        config:
          base_dir: {env: DAGSTER_HOME}
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

#: Seconds a write waits for another process's lock on a file (Dagster's own value).
BUSY_TIMEOUT_SECONDS = 15
#: Engines kept at most: the index database and the runs being written (a UI that browses
#: many runs opens each run's file now and then; older engines are disposed).
MAX_ENGINES = 16


def _sync_at_checkpoints(connection: Any, _record: Any) -> None:
    """SQLite's advice for a database in WAL mode (Dagster creates its files so): sync at
    checkpoints, not at every commit. A crash of the process loses nothing; a power cut can
    lose the last events written, never the file."""
    connection.execute("PRAGMA synchronous=NORMAL")


class ReusedEngineEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine per shard (run file or the index), kept."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # before: init writes
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table. Dagster asks before writes (about 1,600
        times in a daily run), each time through an engine and a connection of its own; a table
        once there stays (migrations add tables, a wipe deletes rows), so a yes is kept."""
        if table_name in self._tables_seen:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_seen.add(table_name)
        return found

    def engine_for(self, shard: str) -> Engine:
        """The shard's engine, created on first use; the least recently used one is disposed
        when more than :data:`MAX_ENGINES` are kept."""
        engine = self._engines.get(shard)
        if engine is None:
            # The index keeps one connection (used under Dagster's lock, from any thread).
            pooling: dict[str, Any] = (
                {"poolclass": QueuePool, "pool_size": 1}
                if shard == INDEX_SHARD_NAME
                else {"poolclass": NullPool}
            )
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                **pooling,
            )
            event.listen(engine, "connect", _sync_at_checkpoints)
            self._engines[shard] = engine
            while len(self._engines) > MAX_ENGINES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self.engine_for(shard)
            if shard not in self._initialized_dbs:  # as Dagster's: create the tables once
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()


class LocalDagsterStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (same folders under ``base_dir``) with the event log above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        root = Path(base_dir)
        self._run_storage = SqliteRunStorage.from_local(str(root / "history"))
        self._event_log_storage = ReusedEngineEventLogStorage(str(root / "history" / "runs"))
        self._schedule_storage = SqliteScheduleStorage.from_local(str(root / "schedules"))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()  # DagsterStorage's, not the stock init

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> LocalDagsterStorage:
        base_dir = Path(str(config_value["base_dir"]))
        base_dir.mkdir(parents=True, exist_ok=True)
        return cls(str(base_dir), inst_data=inst_data)
