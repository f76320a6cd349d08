"""Read one export file into DuckDB and validate it against the contract.

The result is a temp table ``_ciw_valid`` in the given DuckDB connection with one row per file
row: ``_source_row``, every contract column cast to its type, and for rows that fail
validation ``_reason``, ``_columns`` and ``_raw_record`` (JSON of the original row). Sinks
insert the rows with a null ``_reason`` and quarantine the others.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sources.contract import Column, RawTable
from sources.load.ddl import quote
from sources.load.report import LoadError

if TYPE_CHECKING:
    import duckdb

STAGE = "_ciw_stage"
VALID = "_ciw_valid"
TRUE_WORDS = ("true", "t", "1", "yes")
FALSE_WORDS = ("false", "f", "0", "no")
_INTEGER_TYPES = ("integer", "bigint", "smallint", "int", "int4", "int8")
_INTEGER_SOURCES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_SHOWN_CHARS = 200


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass(frozen=True)
class FileColumns:
    """How a file's columns map onto its table's contract."""

    names: tuple[str, ...]  # as in the file
    types: tuple[str, ...]  # DuckDB types as read (all VARCHAR for CSV)
    mapping: dict[str, int]  # contract column -> index in ``names``
    extra: tuple[str, ...]  # file columns the contract does not know


@dataclass(frozen=True)
class Validated:
    """A file validated into the temp table :data:`VALID`."""

    rows_read: int
    rows_bad: int
    extra_columns: tuple[str, ...]


def is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def _csv_header(path: Path, source_file: str) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise LoadError(f"{source_file}: cannot read the CSV header: {first_line(error)}") from None
    if not header:
        raise LoadError(f"{source_file}: the file is empty (a CSV export needs a header line)")
    return [name.strip() or f"column{position}" for position, name in enumerate(header)]


def _reader(path: Path, names: list[str] | None) -> str:
    if names is None:
        return f"read_parquet({literal(str(path))})"
    columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in names)
    return (
        f"read_csv({literal(str(path))}, auto_detect=false, header=true, delim=',', "
        f"quote='\"', escape='\"', columns={{{columns}}})"
    )


def inspect_file(
    connection: duckdb.DuckDBPyConnection, table: RawTable, path: Path, source_file: str
) -> FileColumns:
    """The file's columns matched to the contract (case-insensitively).

    Raises :class:`LoadError` naming the file and column for a missing required column.
    """
    import duckdb

    if is_csv(path):
        names = _csv_header(path, source_file)
        types = ["VARCHAR"] * len(names)
    else:
        try:
            described = connection.execute(f"describe select * from {_reader(path, None)}")
            rows = described.fetchall()
        except duckdb.Error as error:
            raise LoadError(f"{source_file}: cannot read Parquet: {first_line(error)}") from None
        names = [str(row[0]) for row in rows]
        types = [str(row[1]) for row in rows]
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        folded = name.lower()
        if folded in positions:
            raise LoadError(f"{source_file}: column {name!r} appears more than once")
        positions[folded] = position
    mapping: dict[str, int] = {}
    for column in table.columns:
        if column.name.lower() in positions:
            mapping[column.name] = positions[column.name.lower()]
        elif column.required:
            raise LoadError(
                f"{source_file}: required column {column.name!r} of {table.key} is missing"
            )
    used = set(mapping.values())
    extra = tuple(name for position, name in enumerate(names) if position not in used)
    return FileColumns(tuple(names), tuple(types), mapping, extra)


def _cast_and_check(column: Column, raw: str, source_type: str, cast: str) -> tuple[str, str]:
    """SQL for the cast value and for a null-or-reason error, given the raw column ``raw``."""
    dtype = column.data_type.strip().lower()
    base = dtype.split("(")[0].strip()
    text = source_type.upper() == "VARCHAR"
    value = f"nullif(trim({raw}), '')" if text else raw
    blank = f"({value} is null)"
    extra_invalid = ""
    if base == "varchar":
        expr = (
            f"case when trim({raw}) = '' then null else {raw} end"
            if text
            else f"cast({raw} as varchar)"
        )
        extra_invalid = f" or contains({cast}, chr(0))"
    elif base == "boolean" and text:
        trues = ", ".join(literal(word) for word in TRUE_WORDS)
        falses = ", ".join(literal(word) for word in FALSE_WORDS)
        expr = (
            f"case when lower({value}) in ({trues}) then true "
            f"when lower({value}) in ({falses}) then false end"
        )
    elif base == "timestamp" and text:
        # An explicit UTC offset is honoured (the session time zone is UTC); naive stays as is.
        expr = (
            f"coalesce(cast(try_cast({value} as timestamptz) as timestamp), "
            f"try_cast({value} as timestamp))"
        )
    else:
        expr = f"try_cast({value} as {dtype})"
        if base in _INTEGER_TYPES and source_type.upper() not in _INTEGER_SOURCES:
            # try_cast rounds 12.5 to 13: a fractional value is not a valid integer.
            extra_invalid = f" or try_cast({value} as double) is distinct from {cast}"
    shown = raw if text else f"cast({raw} as varchar)"
    name = column.name.replace('"', '\\"')
    if base == "varchar":
        bad = literal(f'column "{name}": value contains a NUL character')
    else:
        prefix = literal(f'column "{name}": ')
        bad = (
            f"{prefix} || to_json(left({shown}, {_SHOWN_CHARS})) "
            f"|| {literal(f' is not a valid {column.data_type}')}"
        )
    invalid = f"(not {blank} and ({cast} is null{extra_invalid}))"
    if column.required:
        missing = literal(f'column "{name}": required value is missing')
        check = f"case when {blank} then {missing} when {invalid} then {bad} end"
    else:
        check = f"case when {invalid} then {bad} end"
    return expr, check


def validate_file(
    connection: duckdb.DuckDBPyConnection,
    table: RawTable,
    path: Path,
    source_file: str,
) -> Validated:
    """Read ``path`` and build the temp table :data:`VALID` in ``connection``."""
    import duckdb

    columns = inspect_file(connection, table, path, source_file)
    csv_file = is_csv(path)
    raws = [f'"__r{position}"' for position in range(len(columns.names))]
    renamed = ", ".join(
        f"{quote(name)} as {raw}" for name, raw in zip(columns.names, raws, strict=True)
    )
    reader = _reader(path, list(columns.names) if csv_file else None)
    # CSV: header is line 1, so row id 0 is line 2. Parquet: 1-based row index.
    first_row = 2 if csv_file else 1

    casts: list[str] = []
    checks: list[str] = []
    outputs: list[str] = []
    flagged: list[str] = []
    errors: list[str] = []
    for index, column in enumerate(table.columns):
        cast_name = f'"__c{index}"'
        outputs.append(f"{cast_name} as {quote(column.name)}")
        position = columns.mapping.get(column.name)
        if position is None:
            casts.append(f"cast(null as {column.data_type}) as {cast_name}")
            continue
        expr, check = _cast_and_check(column, raws[position], columns.types[position], cast_name)
        casts.append(f"{expr} as {cast_name}")
        checks.append(f'{check} as "__e{index}"')
        errors.append(f'"__e{index}"')
        flagged.append(f'case when "__e{index}" is not null then {literal(column.name)} end')
    reason = (
        f"nullif(concat_ws('; ', {', '.join(errors)}), '')" if errors else "cast(null as varchar)"
    )
    failed = f"coalesce({', '.join(errors)}) is not null" if errors else "false"
    names = ", ".join(
        f"{literal(name)}: {raw}" for name, raw in zip(columns.names, raws, strict=True)
    )
    record = f"case when {failed} then cast(to_json({{{names}}}) as varchar) end"
    colnames = (
        f"nullif(concat_ws(', ', {', '.join(flagged)}), '')" if flagged else "cast(null as varchar)"
    )
    raw_list = ", ".join(raws)
    staged = csv_file or "file_row_number" in {name.lower() for name in columns.names}
    if staged:
        # The temp table's row ids follow file order (insertion order is preserved).
        source, row_number = STAGE, f"rowid + {first_row}"
    else:
        source = (
            f"(select {renamed}, file_row_number from "
            f"read_parquet({literal(str(path))}, file_row_number=true))"
        )
        row_number = "file_row_number + 1"
    try:
        connection.execute(f"drop table if exists {VALID}")
        connection.execute(f"drop table if exists {STAGE}")
        if staged:
            connection.execute(f"create temp table {STAGE} as select {renamed} from {reader}")
        connection.execute(
            f"create temp table {VALID} as "
            f"with casted as (select {row_number} as _source_row, {raw_list}, "
            f"{', '.join(casts)} from {source}), "
            f"checked as (select *{''.join(', ' + check for check in checks)} from casted) "
            f"select _source_row, {', '.join(outputs)}, {reason} as _reason, "
            f"{colnames} as _columns, {record} as _raw_record from checked"
        )
        connection.execute(f"drop table if exists {STAGE}")
        counts = connection.execute(f"select count(*), count(_reason) from {VALID}").fetchone()
    except duckdb.Error as error:
        raise LoadError(f"{source_file}: {first_line(error)}") from None
    assert counts is not None
    return Validated(rows_read=int(counts[0]), rows_bad=int(counts[1]), extra_columns=columns.extra)
