"""One event's row checked by the loader's own validation (``sources.load``): the record is
staged as a one-line JSON-lines export and goes through ``stage_file`` and ``validate_staged``,
the same casts, required values and range rules as ``ciw load``; nothing is re-implemented."""

from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

from sources.contract import RawTable
from sources.load.discover import Export
from sources.load.mapping import FileRule
from sources.load.read import stage_file
from sources.load.report import LoadError
from sources.load.validate import validate_staged

_local = threading.local()
_numbers = count()


@dataclass(frozen=True)
class Checked:
    """The typed row (contract column -> value) or the reason it was refused."""

    values: dict[str, Any] | None
    reason: str | None
    columns: str | None
    raw_record: str


def _connection() -> Any:
    import duckdb

    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = duckdb.connect()
        connection.execute("set TimeZone = 'UTC'")
        connection.execute("set threads = 1")
        _local.connection = connection
        _local.scratch = tempfile.TemporaryDirectory(prefix="ciw-events-")
    return connection


def check_record(
    table: RawTable, record: dict[str, Any], source_file: str, loaded_at: datetime
) -> Checked:
    """Validate ``record`` against ``table``'s contract exactly as the loader would."""
    connection = _connection()
    number = next(_numbers)
    path = Path(_local.scratch.name) / f"event-{number}.jsonl"
    raw_record = json.dumps(record, default=str, ensure_ascii=False)
    path.write_text(raw_record + "\n", encoding="utf-8")
    export = Export(FileRule("*", table), path, source_file, "jsonl")
    relation = f"_ciw_event_{number}"
    try:
        staged = stage_file(connection, export, path.parent, number)
        validated = validate_staged(connection, export, staged, relation, loaded_at)
        cursor = connection.execute(f"select * from {relation}")
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone() or (), strict=True))
    except LoadError as error:
        return Checked(None, str(error), None, raw_record)
    finally:
        path.unlink(missing_ok=True)
        connection.execute(f"drop table if exists {relation}")
        connection.execute(f"drop table if exists _ciw_stage_{number}")
    del validated
    if row.get("_reason"):
        return Checked(None, str(row["_reason"]), row.get("_columns"), raw_record)
    values = {name: row[name] for name in table.column_names}
    return Checked(values, None, None, raw_record)
