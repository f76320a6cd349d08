"""Reading one export file (CSV, Parquet, JSON lines) into DuckDB, raw and untyped.

The result is a :class:`Staged` relation with one column ``"__r<i>"`` per file column and
``_source_row``: the physical line a CSV record starts on (right even with newlines inside
quoted fields), the 1-based row of a Parquet file, or the line of a JSON-lines record.
Everything that makes a file unreadable is a one-line :class:`LoadError` naming the file and,
when known, the line and column.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sources.load.ddl import quote
from sources.load.discover import Export
from sources.load.report import LoadError

if TYPE_CHECKING:
    import duckdb

_MAGIC = {b"PAR1": "a Parquet file", b"\x1f\x8b": "a gzip archive", b"PK\x03\x04": "a zip archive"}
_OTHER_DELIMITERS = (";", "\t", "|")
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_JSON_LINE = re.compile(r"in line (\d+): (.*?)\.?\s*$")


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass(frozen=True)
class Staged:
    names: tuple[str, ...]  # file columns, as in the file
    types: tuple[str, ...]  # DuckDB types as read (VARCHAR for CSV and JSON lines)
    relation: str  # SQL relation with "__r<i>" columns and _source_row


def raw_name(position: int) -> str:
    return f'"__r{position}"'


def _head_and_tail(path: Path) -> tuple[bytes, bytes]:
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(16)
        handle.seek(max(0, size - 4))
        return head, handle.read(4)


def _check_kind(export: Export) -> None:
    """Refuse files that are empty or not what their format says."""
    head, tail = _head_and_tail(export.path)
    name = export.source_file
    if not head:
        raise LoadError(f"{name}: the file is empty (0 bytes)")
    actual = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)
    if export.file_format == "parquet":
        if actual != "a Parquet file":
            shown = head[:12].decode("utf-8", "replace")
            raise LoadError(f"{name}: not a Parquet file (it starts with {shown!r})")
        if tail != b"PAR1":
            raise LoadError(f"{name}: truncated Parquet file (the footer is missing)")
    elif actual is not None:
        raise LoadError(f"{name}: is {actual}, not {export.file_format.upper()} text")


def _utf8_copy(export: Export, scratch: Path) -> Path:
    """The file as UTF-8: transcoded into ``scratch`` unless it already is UTF-8."""
    encoding = codecs.lookup(export.rule.options.encoding).name
    if encoding in ("utf-8", "utf-8-sig"):
        return export.path
    target = scratch / "transcoded.csv"
    with (
        export.path.open(encoding=encoding, newline="") as source,
        target.open("w", encoding="utf-8", newline="") as sink,
    ):
        shutil.copyfileobj(source, sink, 1 << 20)
    return target


def _not_utf8(export: Export, header: list[str]) -> LoadError:
    """Where the first non-UTF-8 byte is: line and (by delimiter count) column."""
    data = export.path.read_bytes()
    try:
        data.decode("utf-8")
        return LoadError(f"{export.source_file}: not valid UTF-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        delimiter = export.rule.options.delimiter.encode()
        index = data.count(delimiter, start, error.start)
        column = f", column {header[index]!r}" if index < len(header) else ""
        return LoadError(
            f"{export.source_file}: line {line}{column}: byte 0x{data[error.start]:02x} is not "
            "valid UTF-8; set the file's encoding (e.g. encoding: latin-1) in the mapping"
        )


def _csv_header(export: Export, path: Path) -> list[str]:
    options = export.rule.options
    try:
        # Bad bytes further down are DuckDB's to find; here they must not hide the header.
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            header = next(csv.reader(handle, delimiter=options.delimiter, quotechar=options.quote))
    except StopIteration:
        header = []
    except csv.Error as error:
        raise LoadError(f"{export.source_file}: line 1: {first_line(error)}") from None
    if not header or not any(name.strip() for name in header):
        raise LoadError(f"{export.source_file}: line 1: the header line is empty")
    if len(header) == 1:
        other = next((sign for sign in _OTHER_DELIMITERS if sign in header[0]), None)
        if other is not None:
            raise LoadError(
                f"{export.source_file}: line 1: the header is one column {header[0][:60]!r}; "
                f"the file looks {other!r}-delimited: set delimiter: {other!r} in the mapping"
            )
    return [name.strip() or f"column{position + 1}" for position, name in enumerate(header)]


def _csv_error(export: Export, error: Exception, header: list[str]) -> LoadError:
    text = str(error)
    if "Invalid unicode" in text:
        return _not_utf8(export, header)
    found = _CSV_LINE.search(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[2] if found and len(lines) > 2 else first_line(error)
    where = f"line {found.group(1)}: " if found else ""
    return LoadError(f"{export.source_file}: {where}{reason}")


def _stage_csv(
    connection: duckdb.DuckDBPyConnection, export: Export, scratch: Path, index: int
) -> Staged:
    import duckdb

    path = _utf8_copy(export, scratch)
    header = _csv_header(export, path)
    seen: set[str] = set()
    for name in header:
        if name.lower() in seen:
            raise LoadError(f"{export.source_file}: line 1: column {name!r} appears twice")
        seen.add(name.lower())
    options = export.rule.options
    columns = ", ".join(f"{literal(raw_name(i)[1:-1])}: 'VARCHAR'" for i in range(len(header)))
    stage = f"_ciw_stage_{index}"
    try:
        connection.execute(
            f"create or replace temp table {stage} as select * from read_csv({literal(str(path))}, "
            f"auto_detect=false, header=true, delim={literal(options.delimiter)}, "
            f"quote={literal(options.quote)}, escape={literal(options.quote)}, "
            f"columns={{{columns}}})"
        )
    except duckdb.Error as error:
        raise _csv_error(export, error, header) from None
    raws = [raw_name(i) for i in range(len(header))]
    newlines = " + ".join(
        f"coalesce(length({raw}) - length(replace({raw}, chr(10), '')), 0)" for raw in raws
    )
    row = connection.execute(f"select coalesce(max({newlines}), 0) from {stage}").fetchone()
    if row and row[0]:
        # Records after one with newlines inside quoted fields start further down the file.
        line = (
            f"rowid + 2 + coalesce(sum({newlines}) over "
            "(order by rowid rows between unbounded preceding and 1 preceding), 0)"
        )
    else:
        line = "rowid + 2"
    relation = f"(select {', '.join(raws)}, {line} as _source_row from {stage})"
    return Staged(tuple(header), ("VARCHAR",) * len(header), relation)


def _stage_parquet(connection: duckdb.DuckDBPyConnection, export: Export, index: int) -> Staged:
    import duckdb

    reader = f"read_parquet({literal(str(export.path))})"
    try:
        described = connection.execute(f"describe select * from {reader}").fetchall()
    except duckdb.Error as error:
        raise LoadError(f"{export.source_file}: cannot read Parquet: {first_line(error)}") from None
    names = [str(row[0]) for row in described]
    types = [str(row[1]) for row in described]
    renamed = ", ".join(f"{quote(name)} as {raw_name(i)}" for i, name in enumerate(names))
    if "file_row_number" in {name.lower() for name in names}:
        stage = f"_ciw_stage_{index}"
        connection.execute(f"create or replace temp table {stage} as select * from {reader}")
        relation = f"(select {renamed}, rowid + 1 as _source_row from {stage})"
    else:
        relation = (
            f"(select {renamed}, file_row_number + 1 as _source_row from "
            f"read_parquet({literal(str(export.path))}, file_row_number=true))"
        )
    return Staged(tuple(names), tuple(types), relation)


def _json_error(export: Export, error: Exception) -> LoadError:
    found = _JSON_LINE.search(first_line(error))
    if found:
        return LoadError(
            f"{export.source_file}: line {found.group(1)}: malformed JSON ({found.group(2)})"
        )
    return LoadError(f"{export.source_file}: cannot read JSON lines: {first_line(error)}")


def _stage_jsonl(connection: duckdb.DuckDBPyConnection, export: Export, index: int) -> Staged:
    import duckdb

    path = literal(str(export.path))
    stage = f"_ciw_stage_{index}"
    try:
        connection.execute(
            f"create or replace temp table {stage} as select json from "
            f"read_json_objects({path}, format='newline_delimited')"
        )
        wrong = connection.execute(
            f"select rowid + 1, json_type(json) from {stage} "
            "where json_type(json) <> 'OBJECT' order by rowid limit 1"
        ).fetchone()
        if wrong:
            raise LoadError(
                f"{export.source_file}: record {wrong[0]}: expected a JSON object, got {wrong[1]}"
            )
        keys = connection.execute(
            f"select key from (select unnest(json_keys(json)) as key, rowid as position "
            f"from {stage}) group by key order by min(position), key"
        ).fetchall()
    except duckdb.Error as error:
        raise _json_error(export, error) from None
    names = [str(row[0]) for row in keys]
    if not names:
        raise LoadError(f"{export.source_file}: no records (every line is an empty object)")
    return json_staged(names, stage, "rowid + 1")


def json_staged(names: list[str], relation: str, source_row: str) -> Staged:
    """JSON objects (column ``json`` of ``relation``) staged as text columns ``names``, as a
    JSON-lines file is: each value as ``json_extract_string`` gives it (also what the events
    webhook validates its records with, without a file)."""
    extracted = ", ".join(
        f"json_extract_string(json, {literal('$.' + quote(name))}) as {raw_name(i)}"
        for i, name in enumerate(names)
    )
    staged = f"(select {extracted}, {source_row} as _source_row from {relation})"
    return Staged(tuple(names), ("VARCHAR",) * len(names), staged)


def stage_file(
    connection: duckdb.DuckDBPyConnection, export: Export, scratch: Path, index: int
) -> Staged:
    """Read ``export`` into ``connection`` (untyped); see the module docs."""
    _check_kind(export)
    if export.file_format == "csv":
        return _stage_csv(connection, export, scratch, index)
    if export.file_format == "parquet":
        return _stage_parquet(connection, export, index)
    return _stage_jsonl(connection, export, index)
