"""Replay one run's events into empty event logs: Dagster's stock SQLite storage beside the
project's (orchestration/event_log.py), best of ``repeat`` each.

    .venv/bin/python -m benchmarks.event_log [DAGSTER_HOME] [RUN_ID] [--repeat 3]

Without arguments it reads the latest run of ``.dagster_home`` (the README's first command
leaves a daily run there). The figures are wall-clock seconds for storing every event of the
run, which is what a run pays for its event log on the local instance.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.base import EventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._serdes import deserialize_value

from orchestration.event_log import ReusedEngineEventLogStorage
from orchestration.instance import DEFAULT_DAGSTER_HOME

STORAGES: dict[str, Callable[[str], EventLogStorage]] = {
    "dagster": SqliteEventLogStorage,
    "project": ReusedEngineEventLogStorage,
}


def run_events(home: Path, run_id: str | None = None) -> list[EventLogEntry]:
    """The events of ``run_id`` (else of the most recently written run) under ``home``."""
    runs = home / "history" / "runs"
    files = sorted(
        (path for path in runs.glob("*.db") if path.stem != "index"),
        key=lambda path: path.stat().st_mtime,
    )
    chosen = [path for path in files if run_id is None or path.stem.startswith(run_id)]
    if not chosen:
        raise SystemExit(f"no run {'matching ' + run_id if run_id else ''} under {runs}")
    with sqlite3.connect(chosen[-1]) as connection:
        rows = connection.execute("select event from event_logs order by id").fetchall()
    return [deserialize_value(row[0], EventLogEntry) for row in rows]


def replay_seconds(make: Callable[[str], EventLogStorage], events: list[EventLogEntry]) -> float:
    """Seconds to store ``events`` in a new, empty event log made by ``make``."""
    with tempfile.TemporaryDirectory(prefix="ciw_event_log_") as scratch:
        storage = make(scratch)
        started = time.perf_counter()
        for entry in events:
            storage.store_event(entry)
        seconds = time.perf_counter() - started
        storage.dispose()
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", nargs="?", type=Path, default=DEFAULT_DAGSTER_HOME)
    parser.add_argument("run_id", nargs="?")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    events = run_events(args.home, args.run_id)
    print(
        f"{len(events)} events of one run, stored into an empty event log (best of {args.repeat})"
    )
    for name, make in STORAGES.items():
        best = min(replay_seconds(make, events) for _ in range(args.repeat))
        print(f"  {name:<8} {best:6.2f} s  {1000 * best / len(events):5.2f} ms per event")


if __name__ == "__main__":
    main()
