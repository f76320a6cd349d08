"""Events' rows checked by the loader's own validation (``sources.load``), without a file.

The records go into DuckDB as JSON text (an Arrow table, no file is written) and are staged
exactly as a JSON-lines export is (``read.json_staged``: each value as ``json_extract_string``
gives it), then cast and checked by the loader's select (``validate.validation_query``): the
same casts, required values, ranges and reasons as ``ciw load``; nothing is re-implemented.

Records with the same keys are checked together, one query for all of them (the endpoint's
group commit hands over the requests that arrived together). A file-level refusal (a required
column absent) names each event's own ``source_file``: such a group is checked again one record
at a time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

from sources.contract import RawTable
from sources.load.discover import Export
from sources.load.mapping import FileRule
from sources.load.read import first_line, json_staged
from sources.load.report import LoadError
from sources.load.validate import validation_query

_local = threading.local()
_numbers = count()
_database_lock = threading.Lock()
_database: Any = None


@dataclass(frozen=True)
class Checked:
    """The typed row (contract column -> value) or the reason it was refused."""

    values: dict[str, Any] | None
    reason: str | None
    columns: str | None
    raw_record: str


@dataclass(frozen=True)
class Record:
    """One event's row and the ``source_file`` that names it in reasons and quarantine."""

    data: dict[str, Any]
    source_file: str


def _connection() -> Any:
    """This thread's cursor on the process's in-memory DuckDB (one database, no file)."""
    global _database
    connection = getattr(_local, "connection", None)
    if connection is None:
        import duckdb

        with _database_lock:
            if _database is None:
                _database = duckdb.connect()
                _database.execute("set TimeZone = 'UTC'")
                _database.execute("set threads = 1")
            connection = _database.cursor()
        _local.connection = connection
    return connection


def check_record(
    table: RawTable, record: dict[str, Any], source_file: str, loaded_at: datetime
) -> Checked:
    """Validate ``record`` against ``table``'s contract exactly as the loader would."""
    return check_records(table, [Record(record, source_file)], loaded_at)[0]


def check_records(table: RawTable, records: Sequence[Record], loaded_at: datetime) -> list[Checked]:
    """Validate ``records`` (in one query per set of keys); one :class:`Checked` each."""
    texts = [json.dumps(record.data, default=str, ensure_ascii=False) for record in records]
    groups: dict[frozenset[str], list[int]] = {}
    for position, record in enumerate(records):
        groups.setdefault(frozenset(record.data), []).append(position)
    results: list[Checked | None] = [None] * len(records)
    for keys, positions in groups.items():
        try:
            checked = _check_group(
                table, sorted(keys), [texts[p] for p in positions], records[positions[0]], loaded_at
            )
        except LoadError as error:
            if len(positions) > 1:  # each event's own reason, naming its own source_file
                for position in positions:
                    results[position] = check_records(table, [records[position]], loaded_at)[0]
                continue
            checked = [Checked(None, str(error), None, texts[positions[0]])]
        for position, result in zip(positions, checked, strict=True):
            results[position] = result
    return [result for result in results if result is not None]


def _check_group(
    table: RawTable, names: list[str], texts: list[str], first: Record, loaded_at: datetime
) -> list[Checked]:
    """Records with the same keys, staged as JSON lines and validated by the loader's select."""
    import duckdb
    import pyarrow as pa

    connection = _connection()
    view = f"_ciw_event_rows_{next(_numbers)}"
    rows = pa.table({"json": texts, "_line": list(range(1, len(texts) + 1))})
    staged = json_staged(names, f"(select cast(json as json) as json, _line from {view})", "_line")
    export = Export(FileRule("*", table), Path(first.source_file), first.source_file, "jsonl")
    query = validation_query(export, staged, loaded_at)
    connection.register(view, rows)
    try:
        cursor = connection.execute(f"{query.sql} order by _source_row")
        columns = [column[0] for column in cursor.description]
        found = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error as error:
        raise LoadError(f"{first.source_file}: {first_line(error)}") from None
    finally:
        connection.unregister(view)
    checked = []
    for row, text in zip(found, texts, strict=True):
        if row["_reason"]:
            checked.append(Checked(None, str(row["_reason"]), row["_columns"], text))
        else:
            checked.append(
                Checked({name: row[name] for name in table.column_names}, None, None, text)
            )
    return checked
