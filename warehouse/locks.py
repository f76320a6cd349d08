"""Who holds the warehouse: waiting for DuckDB's file lock, and one writing run at a time.

DuckDB allows one writing process per file. A second ``ciw`` command waits for the lock up to
``CIW_LOCK_TIMEOUT`` seconds (default 30), saying once what it waits for, then ends with one
line naming the process that holds it and what to do. :func:`exclusive_run` keeps two runs
(``ciw run``, ``ciw load``, backfills) from both writing: a lock file beside the DuckDB file,
or a PostgreSQL advisory lock held by a connection of its own for the run's duration.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from warehouse.connections import WarehouseUnavailable
from warehouse.settings import Settings, env_number

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.25
_PID = re.compile(r"PID (\d+)")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


#: Where "waiting for ..." goes; the command line may point it elsewhere.
report_wait: Callable[[str], None] = _stderr


def lock_timeout() -> float:
    """Seconds to wait for a held warehouse (``CIW_LOCK_TIMEOUT``; 0 = do not wait)."""
    return env_number(
        "CIW_LOCK_TIMEOUT", DEFAULT_TIMEOUT_SECONDS, what="a number of seconds", zero=True
    )


def describe_process(pid: int) -> str:
    """``process 1234 (ciw run)``: the holder's command line, when this machine can see it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"process {pid}"
    words = [word.decode(errors="replace") for word in raw.split(b"\0") if word]
    if words:
        words[0] = Path(words[0]).name
    command = " ".join(" ".join(words).split())  # one line, whatever the arguments hold
    if len(command) > 60:
        command = command[:57] + "..."
    return f"process {pid} ({command})" if command else f"process {pid}"


def holder_of(message: str) -> str:
    """The holding process named in DuckDB's lock error, described."""
    found = _PID.search(message)
    return describe_process(int(found.group(1))) if found else "another process"


def what_to_do(pid_text: str) -> str:
    return f"wait for it to finish, stop it{pid_text}, or set CIW_LOCK_TIMEOUT to wait longer"


def wait_for(
    attempt: Callable[[], T],
    is_busy: Callable[[Exception], str | None],
    action: str,
    timeout: float | None = None,
) -> T:
    """Call ``attempt`` until it stops failing with a busy error or ``timeout`` passes.

    ``is_busy`` returns who holds the resource for a busy error, None for any other error
    (re-raised at once). The wait is reported once; at the timeout one line says what could
    not be done (``action``: "cannot open DuckDB file x"), who holds it and what to do.
    """
    limit = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    reported = False
    while True:
        try:
            return attempt()
        except Exception as error:
            holder = is_busy(error)
            if holder is None:
                raise
            if time.monotonic() >= deadline:
                pid = _PID.search(holder) or re.search(r"process (\d+)", holder)
                pid_text = f" (kill {pid.group(1)})" if pid else ""
                raise WarehouseUnavailable(
                    f"{action}: it is in use by {holder}; {what_to_do(pid_text)}"
                ) from None
            if not reported:
                report_wait(f"{action} yet: it is in use by {holder}; waiting up to {limit:.0f} s")
                reported = True
            time.sleep(POLL_SECONDS)


# --- one writing run at a time ------------------------------------------------------------------


@dataclass(frozen=True)
class RunClaim:
    """What a run lock records about its holder."""

    pid: int
    purpose: str
    started_at: datetime

    def describe(self) -> str:
        return f"process {self.pid} ({self.purpose}, started {self.started_at:%Y-%m-%d %H:%M:%S})"

    def text(self) -> str:
        """``1234|2026-12-04T06:00:00|ciw run``: short enough for a PostgreSQL application name."""
        return f"{self.pid}|{self.started_at.isoformat(timespec='seconds')}|{self.purpose}"

    @classmethod
    def parse(cls, text: str) -> RunClaim | None:
        parts = text.strip().split("|", 2)
        if len(parts) != 3 or not parts[0].isdigit():
            return None
        try:
            return cls(int(parts[0]), parts[2], datetime.fromisoformat(parts[1]))
        except ValueError:
            return None


def run_lock_path(settings: Settings) -> Path:
    """The run lock of a DuckDB file, beside it; of a Spark warehouse, beside its folder (each
    Spark warehouse its own, and none shared with the DuckDB file of the same machine)."""
    if settings.target == "spark":
        return settings.spark_warehouse_dir.resolve().parent / "run.lock"
    return settings.duckdb_path.with_name(settings.duckdb_path.name + ".run.lock")


@contextlib.contextmanager
def exclusive_run(
    settings: Settings, purpose: str, timeout: float | None = None
) -> Iterator[RunClaim]:
    """Hold the warehouse's run lock for the block: no second run writes meanwhile."""
    claim = RunClaim(os.getpid(), purpose, datetime.now().replace(microsecond=0))
    if settings.target == "postgres":
        with _postgres_run_lock(settings, claim, timeout):
            yield claim
        return
    with _file_run_lock(settings, claim, timeout):
        yield claim


class Busy(Exception):
    """A lock another process holds: ``holder`` describes it (for :func:`wait_for`)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def busy_holder(error: Exception) -> str | None:
    """The holder of a :class:`Busy` error, None for any other (``is_busy`` of wait_for)."""
    return error.holder if isinstance(error, Busy) else None


@contextlib.contextmanager
def _file_run_lock(settings: Settings, claim: RunClaim, timeout: float | None) -> Iterator[None]:
    path = run_lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")

    def attempt() -> None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            held = RunClaim.parse(handle.read())
            raise Busy(held.describe() if held else "another run") from None

    try:
        wait_for(
            attempt, busy_holder, f"cannot start {claim.purpose} on {settings.describe()}", timeout
        )
        handle.seek(0)
        handle.truncate()
        handle.write(claim.text())
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock; the file stays for the next run


_APPLICATION = "ciw-run"


@contextlib.contextmanager
def _postgres_run_lock(
    settings: Settings, claim: RunClaim, timeout: float | None
) -> Iterator[None]:
    from warehouse.connections import connect_postgres

    key = f"ciw-run:{settings.pg_database}"
    connection: psycopg.Connection = connect_postgres(settings)
    connection.autocommit = True
    try:
        connection.execute(
            "select set_config('application_name', %s, false)",
            (f"{_APPLICATION}|{claim.text()}"[:63],),
        )

        def attempt() -> None:
            row = connection.execute("select pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()
            if not (row and row[0]):
                raise Busy(_postgres_holder(connection, key))

        wait_for(
            attempt, busy_holder, f"cannot start {claim.purpose} on {settings.describe()}", timeout
        )
        yield
    finally:
        connection.close()  # ending the session releases the advisory lock


def _postgres_holder(connection: psycopg.Connection, key: str) -> str:
    row = connection.execute(
        "select activity.application_name from pg_locks as locks"
        " join pg_stat_activity as activity on activity.pid = locks.pid"
        " where locks.locktype = 'advisory' and locks.granted"
        " and locks.objid = (hashtext(%s)::bigint & 4294967295)::oid"
        " and activity.pid <> pg_backend_pid() limit 1",
        (key,),
    ).fetchone()
    name = str(row[0]) if row and row[0] else ""
    held = RunClaim.parse(name.removeprefix(f"{_APPLICATION}|"))
    return held.describe() if held else "another run"
