"""Writing a validated file to the warehouse: one transaction per file, keyed by batch."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sources.contract import METADATA_COLUMNS, RawTable
from sources.load.checks import count_repeats
from sources.load.ddl import (
    AUDIT_COLUMNS,
    AUDIT_RELATION,
    QUARANTINE_COLUMNS,
    QUARANTINE_RELATION,
    ensure_tables,
    quote,
    relation,
)
from sources.load.read import first_line, literal
from sources.load.report import FileLoad, LoadError
from sources.load.scratch import ScratchValidator
from sources.load.validate import Validated
from warehouse.adapters import DuckDBSession, PostgresSession
from warehouse.connections import connect_duckdb, connect_postgres
from warehouse.settings import Settings, Target

if TYPE_CHECKING:
    import duckdb
    import psycopg

    from sources.load.spark_sink import SparkSink

_COPY_CHUNK = 1 << 20


def utc_now() -> datetime:
    """Load times are stored as naive UTC timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Batch:
    """One file's identity in the warehouse."""

    table: RawTable
    source_file: str
    batch_id: str
    started_at: datetime
    validated: Validated


def _ts(value: datetime) -> str:
    return f"timestamp {literal(value.isoformat(sep=' '))}"


def _good_select(batch: Batch, loaded_at: datetime) -> str:
    columns = ", ".join(quote(column) for column in batch.table.column_names)
    return (
        f"select {columns}, {literal(batch.batch_id)} as _batch_id, "
        f"{literal(batch.source_file)} as _source_file, _source_row, "
        f"{_ts(loaded_at)} as _loaded_at from {batch.validated.relation} "
        "where _reason is null and not _unchanged"
    )


def _quarantine_select(batch: Batch, loaded_at: datetime) -> str:
    return (
        f"select {literal(batch.batch_id)} as _batch_id, {literal(batch.table.key)} as table_key, "
        f"{literal(batch.source_file)} as source_file, _source_row as source_row, "
        f"_columns as column_name, _reason as reason, _raw_record as raw_record, "
        f"{_ts(loaded_at)} as quarantined_at from {batch.validated.relation} "
        "where _reason is not null"
    )


def _raw_column_list(table: RawTable) -> str:
    return ", ".join(quote(column) for column in [*table.column_names, *METADATA_COLUMNS])


def _column_list(columns: dict[str, str]) -> str:
    return ", ".join(quote(column) for column in columns)


def _balanced(
    connection: duckdb.DuckDBPyConnection, batch: Batch, loaded: int, quarantined: int
) -> FileLoad:
    """The file's outcome; refuses to commit when a row went missing."""
    validated = batch.validated
    unchanged = _unchanged(connection, batch)
    kept, repeats_quarantined = count_repeats(connection, validated)
    if validated.rows_read != loaded + quarantined + unchanged:
        raise LoadError(
            f"{batch.source_file}: read {validated.rows_read} rows but loaded {loaded}, "
            f"quarantined {quarantined} and found {unchanged} unchanged; nothing was committed"
        )
    return FileLoad(
        table_key=batch.table.key,
        source_file=batch.source_file,
        batch_id=batch.batch_id,
        rows_read=validated.rows_read,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        extra_columns=validated.extra_columns,
        rows_unchanged=unchanged,
        duplicates_kept=kept,
        duplicates_quarantined=repeats_quarantined,
    )


def _audit_values(result: FileLoad, started: datetime, finished: datetime) -> list[Any]:
    return [
        result.batch_id,
        result.table_key,
        result.source_file,
        result.rows_read,
        result.rows_loaded,
        result.rows_quarantined,
        ", ".join(result.extra_columns) or None,
        started,
        finished,
        result.rows_unchanged,
        result.duplicates_kept,
        result.duplicates_quarantined,
    ]


_DELETES = (
    "delete from {raw} where _batch_id = {p}",
    f"delete from {QUARANTINE_RELATION} where _batch_id = {{p}} and table_key = {{p}}",
    f"delete from {AUDIT_RELATION} where _batch_id = {{p}} and table_key = {{p}}",
)


def _delete_statements(batch: Batch, placeholder: str) -> list[tuple[str, list[str]]]:
    raw = relation(batch.table.schema, batch.table.name)
    key = [batch.batch_id, batch.table.key]
    return [
        (_DELETES[0].format(raw=raw, p=placeholder), [batch.batch_id]),
        (_DELETES[1].format(p=placeholder), key),
        (_DELETES[2].format(p=placeholder), key),
    ]


def _audit_insert(placeholder: str) -> str:
    marks = ", ".join([placeholder] * len(AUDIT_COLUMNS))
    return f"insert into {AUDIT_RELATION} ({_column_list(AUDIT_COLUMNS)}) values ({marks})"


class DuckDBSink:
    """Validates in the target DuckDB file itself (temp tables) and inserts in bulk."""

    def __init__(self, settings: Settings) -> None:
        self.connection: duckdb.DuckDBPyConnection = connect_duckdb(settings)
        self.connection.execute("set TimeZone = 'UTC'")
        ensure_tables(DuckDBSession(self.connection))
        self._scratch = tempfile.TemporaryDirectory(prefix="ciw-load-")
        self.scratch = Path(self._scratch.name)

    def lookup(self, table: RawTable, column: str, keys: str, into: str, batch_id: str) -> None:
        """Warehouse rows of other batches whose ``column`` is among ``keys`` (see checks)."""
        columns = ", ".join(quote(name) for name in table.column_names)
        self.connection.execute(
            f"create or replace temp table {into} as select {columns} "
            f"from {relation(table.schema, table.name)} where _batch_id <> {literal(batch_id)} "
            f"and {quote(column)} in (select k from ({keys}))"
        )

    @property
    def validator(self) -> duckdb.DuckDBPyConnection:
        return self.connection

    def write(self, batch: Batch) -> FileLoad:
        import duckdb

        connection = self.connection
        loaded_at = utc_now()
        table = batch.table
        connection.begin()
        try:
            for statement, params in _delete_statements(batch, "?"):
                connection.execute(statement, params)
            loaded = _count(
                connection.execute(
                    f"insert into {relation(table.schema, table.name)} ({_raw_column_list(table)}) "
                    + _good_select(batch, loaded_at)
                )
            )
            quarantined = _count(
                connection.execute(
                    f"insert into {QUARANTINE_RELATION} ({_column_list(QUARANTINE_COLUMNS)}) "
                    + _quarantine_select(batch, loaded_at)
                )
            )
            result = _balanced(self.validator, batch, loaded, quarantined)
            connection.execute(
                _audit_insert("?"), _audit_values(result, batch.started_at, utc_now())
            )
            connection.commit()
        except duckdb.Error as error:
            connection.rollback()
            raise LoadError(
                f"{batch.source_file}: writing {table.relation}: {first_line(error)}"
            ) from None
        except BaseException:
            connection.rollback()
            raise
        return result

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            self._scratch.cleanup()


def _unchanged(connection: duckdb.DuckDBPyConnection, batch: Batch) -> int:
    relation_name = batch.validated.relation
    row = connection.execute(f"select count(*) from {relation_name} where _unchanged").fetchone()
    return int(row[0]) if row else 0


def _count(cursor: duckdb.DuckDBPyConnection) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


class PostgresSink(ScratchValidator):
    """Validates in an in-memory DuckDB, then streams CSV into Postgres with COPY."""

    export_options = "format csv, header true"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._changed: set[str] = set()
        try:
            self.pg: psycopg.Connection = connect_postgres(settings)
            with self.pg.transaction():
                ensure_tables(PostgresSession(self.pg))
        except BaseException:
            if hasattr(self, "pg"):
                self.pg.close()
            self._close_validator()
            raise

    def lookup(self, table: RawTable, column: str, keys: str, into: str, batch_id: str) -> None:
        """Warehouse rows of other batches whose ``column`` is among ``keys`` (see checks).

        The keys go to Postgres by COPY, the matching rows come back as CSV: only rows that
        share a key with this file travel, never the whole table.
        """
        import psycopg
        from psycopg import sql

        key_type = table.column(column).data_type
        keys_file, _ = self._export(f"select distinct k from ({keys})", "keys.csv")
        rows_file = Path(self._scratch.name) / "existing.csv"
        names = ", ".join(quote(name) for name in table.column_names)
        raw = relation(table.schema, table.name)
        try:
            with self.pg.transaction(), self.pg.cursor() as cursor:
                cursor.execute(
                    f"create temp table _ciw_keys (k {key_type}) on commit drop".encode()
                )
                self._copy(cursor, "_ciw_keys", "k", keys_file)
                query = (
                    f"copy (select {names} from {raw} where _batch_id <> {literal(batch_id)} "
                    f"and {quote(column)} in (select k from _ciw_keys)) "
                    "to stdout with (format csv, header true)"
                )
                with cursor.copy(sql.SQL(query)) as copy, rows_file.open("wb") as handle:  # type: ignore[arg-type]
                    for chunk in copy:
                        handle.write(chunk)
        except psycopg.Error as error:
            raise LoadError(f"reading {table.relation} for checks: {first_line(error)}") from None
        finally:
            keys_file.unlink(missing_ok=True)
        types = ", ".join(f"{literal(col.name)}: {literal(col.data_type)}" for col in table.columns)
        self.duck.execute(
            f"create or replace temp table {into} as select * from read_csv("
            f"{literal(str(rows_file))}, header=true, auto_detect=false, "
            f"allow_quoted_nulls=false, columns={{{types}}})"
        )
        rows_file.unlink(missing_ok=True)

    def _copy(self, cursor: psycopg.Cursor[Any], target: str, columns: str, path: Path) -> int:
        from psycopg import sql

        statement = sql.SQL(f"copy {target} ({columns}) from stdin with (format csv, header true)")
        with cursor.copy(statement) as copy, path.open("rb") as handle:
            while chunk := handle.read(_COPY_CHUNK):
                copy.write(chunk)
        return cursor.rowcount

    def write(self, batch: Batch) -> FileLoad:
        import duckdb
        import psycopg

        table = batch.table
        loaded_at = utc_now()
        try:
            good, _ = self._export(_good_select(batch, loaded_at), "good.csv")
            bad, _ = self._export(_quarantine_select(batch, loaded_at), "quarantine.csv")
        except duckdb.Error as error:
            raise LoadError(
                f"{batch.source_file}: staging for Postgres: {first_line(error)}"
            ) from None
        try:
            with self.pg.transaction(), self.pg.cursor() as cursor:
                for statement, params in _delete_statements(batch, "%s"):
                    cursor.execute(statement.encode(), params)
                loaded = self._copy(
                    cursor, relation(table.schema, table.name), _raw_column_list(table), good
                )
                quarantined = self._copy(
                    cursor, QUARANTINE_RELATION, _column_list(QUARANTINE_COLUMNS), bad
                )
                result = _balanced(self.validator, batch, loaded, quarantined)
                cursor.execute(
                    _audit_insert("%s").encode(),
                    _audit_values(result, batch.started_at, utc_now()),
                )
            if loaded:
                self._changed.add(relation(table.schema, table.name))
        except psycopg.Error as error:
            raise LoadError(
                f"{batch.source_file}: writing {table.relation}: {first_line(error)}"
            ) from None
        finally:
            good.unlink(missing_ok=True)
            bad.unlink(missing_ok=True)
        return result

    def _analyze_changed(self) -> None:
        """Fresh statistics, so the planner does not take a just-loaded table for empty and
        choose nested loops in staging joins. Only an optimisation: autovacuum catches up."""
        import psycopg

        if not self._changed or self.pg.closed:
            return
        try:
            with self.pg.transaction(), self.pg.cursor() as cursor:
                for changed in sorted(self._changed):
                    cursor.execute(f"analyze {changed}".encode())
        except psycopg.Error:
            return

    def close(self) -> None:
        try:
            self._analyze_changed()
            self.pg.close()
        finally:
            self._close_validator()


Sink = DuckDBSink | PostgresSink

#: How a file reaches each warehouse: validated in the DuckDB file itself, or validated in an
#: in-memory DuckDB and copied to PostgreSQL.
SINKS: dict[Target, type[Sink]] = {"duckdb": DuckDBSink, "postgres": PostgresSink}
# Spark: sources.load.spark_sink (validated in an in-memory DuckDB, appended as Parquet).


def open_sink(settings: Settings) -> Sink | SparkSink:
    """The sink of the warehouse ``settings`` point at (Spark's only imported for Spark)."""
    if settings.target == "spark":
        from sources.load.spark_sink import SparkSink

        return SparkSink(settings)
    return SINKS[settings.target](settings)
