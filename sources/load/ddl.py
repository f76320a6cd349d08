"""Raw and load-metadata tables, created from the contract in both warehouses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sources.contract import METADATA_COLUMNS, RawTable, raw_tables
from warehouse.adapters import Session
from warehouse.settings import Settings

if TYPE_CHECKING:
    pass

META_SCHEMA = "raw_meta"
QUARANTINE_RELATION = f"{META_SCHEMA}.quarantine"
AUDIT_RELATION = f"{META_SCHEMA}.load_audit"

QUARANTINE_COLUMNS: dict[str, str] = {
    "_batch_id": "varchar",
    "table_key": "varchar",
    "source_file": "varchar",
    "source_row": "bigint",
    "column_name": "varchar",
    "reason": "varchar",
    "raw_record": "varchar",
    "quarantined_at": "timestamp",
}

AUDIT_COLUMNS: dict[str, str] = {
    "_batch_id": "varchar",
    "table_key": "varchar",
    "source_file": "varchar",
    "rows_read": "bigint",
    "rows_loaded": "bigint",
    "rows_quarantined": "bigint",
    "extra_columns": "varchar",
    "started_at": "timestamp",
    "finished_at": "timestamp",
    "rows_unchanged": "bigint",
    "duplicates_kept": "bigint",
    "duplicates_quarantined": "bigint",
}


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier, valid in DuckDB and Postgres."""
    return '"' + identifier.replace('"', '""') + '"'


def relation(schema: str, name: str) -> str:
    return f"{quote(schema)}.{quote(name)}"


def raw_columns(table: RawTable) -> dict[str, str]:
    """Contract columns with their types, then the load metadata columns."""
    return {column.name: column.data_type for column in table.columns} | METADATA_COLUMNS


def _wanted(tables: Iterable[RawTable]) -> list[tuple[str, str, dict[str, str]]]:
    wanted = [(table.schema, table.name, raw_columns(table)) for table in tables]
    wanted.append((META_SCHEMA, "quarantine", QUARANTINE_COLUMNS))
    wanted.append((META_SCHEMA, "load_audit", AUDIT_COLUMNS))
    return wanted


def _existing_query(schemas: Iterable[str]) -> str:
    listed = ", ".join("'" + schema.replace("'", "''") + "'" for schema in sorted(set(schemas)))
    return (
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in ({listed})"
    )


def ddl_statements(
    existing_rows: Iterable[tuple[Any, ...]], tables: Iterable[RawTable]
) -> list[str]:
    """Statements creating missing schemas and tables and adding missing columns.

    Columns are only ever added (a contract that grows a column keeps existing data).
    """
    existing: dict[tuple[str, str], set[str]] = {}
    for schema, name, column in existing_rows:
        existing.setdefault((schema, name), set()).add(column)
    wanted = _wanted(tables)
    statements = [
        f"create schema if not exists {quote(schema)}"
        for schema in sorted({schema for schema, _, _ in wanted})
    ]
    for schema, name, columns in wanted:
        present = existing.get((schema, name))
        if present is None:
            body = ", ".join(f"{quote(column)} {dtype}" for column, dtype in columns.items())
            statements.append(f"create table if not exists {relation(schema, name)} ({body})")
            continue
        statements.extend(
            f"alter table {relation(schema, name)} add column {quote(column)} {dtype}"
            for column, dtype in columns.items()
            if column not in present
        )
    return statements


def _schemas(tables: Iterable[RawTable]) -> list[str]:
    return [schema for schema, _, _ in _wanted(tables)]


def ensure_tables(session: Session) -> None:
    """Create the raw and load-metadata tables that are missing; add missing columns."""
    tables = list(raw_tables().values())
    rows = session.execute(_existing_query(_schemas(tables)))
    for statement in ddl_statements(rows, tables):
        session.execute(statement)


def ensure_raw_tables(settings: Settings) -> None:
    """Create every raw schema and table (empty) plus ``raw_meta``, so dbt can run.

    Every source is optional: a warehouse that never received a file for a source still has
    its raw tables. Existing tables keep their rows; contract columns they lack are added.
    """
    from warehouse import adapter_for

    if settings.target == "spark":
        from sources.load.spark_sink import ensure_spark_tables
        from warehouse.spark import spark_session

        ensure_spark_tables(spark_session(settings))
        return
    with adapter_for(settings).session(transaction=True) as session:
        ensure_tables(session)
