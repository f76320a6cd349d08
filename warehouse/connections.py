"""Opening the chosen warehouse: the DuckDB file or the PostgreSQL database.

Every error here is one readable line without secrets (:class:`WarehouseUnavailable`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.settings import Settings, scratch_duckdb_config

if TYPE_CHECKING:
    import duckdb
    import psycopg


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached; the message is safe to show (no secrets)."""


def connect_duckdb(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The DuckDB file. While another process holds its lock, wait (``CIW_LOCK_TIMEOUT``),
    then end with one line naming that process and what to do."""
    import duckdb

    from warehouse.locks import holder_of, wait_for

    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = dict(settings.duckdb_config())

    def is_busy(error: Exception) -> str | None:
        text = str(error)
        return holder_of(text) if "lock" in text.lower() else None

    try:
        return wait_for(
            lambda: duckdb.connect(
                str(settings.duckdb_path), read_only=read_only, config={**config}
            ),
            lambda error: is_busy(error) if isinstance(error, duckdb.IOException) else None,
            f"cannot open {settings.describe()}",
        )
    except duckdb.IOException as error:
        first_line = str(error).strip().splitlines()[0]
        raise WarehouseUnavailable(f"cannot open {settings.describe()}: {first_line}") from None


def scratch_duckdb(temp_directory: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for work beside the warehouse, within a memory budget
    (:func:`warehouse.settings.scratch_duckdb_config`), spilling what does not fit to
    ``temp_directory`` (default: a folder of this process under the system's temp folder)."""
    import duckdb

    spill = temp_directory or Path(tempfile.gettempdir()) / f"ciw-duckdb-{os.getpid()}"
    config: dict[str, Any] = dict(scratch_duckdb_config(str(spill)))
    return duckdb.connect(config=config)


def ensure_postgres_database(settings: Settings) -> None:
    """Create the configured database when the server lacks it."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(settings.pg_conninfo("postgres"), autocommit=True) as admin:
            exists = admin.execute(
                "select 1 from pg_database where datname = %s", (settings.pg_database,)
            ).fetchone()
            if not exists:
                admin.execute(
                    sql.SQL("create database {}").format(sql.Identifier(settings.pg_database))
                )
    except psycopg.OperationalError as error:
        raise WarehouseUnavailable(_unreachable(settings, error)) from None


def drop_postgres_database(settings: Settings) -> None:
    """Drop the configured database (connections to it are ended); absent is fine."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(settings.pg_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(settings.pg_database)
                )
            )
    except psycopg.OperationalError as error:
        raise WarehouseUnavailable(_unreachable(settings, error)) from None


def connect_postgres(settings: Settings) -> psycopg.Connection:
    """A connection to the configured database, created first when the server lacks it.

    The database is looked up on the server only when connecting fails: every statement the
    pipeline sends opened a second, administrative connection before (a daily run opens
    about a hundred)."""
    import psycopg

    try:
        return psycopg.connect(settings.pg_conninfo())
    except psycopg.OperationalError:
        pass  # a missing database (created next) or an unreachable server (reported next)
    ensure_postgres_database(settings)
    try:
        return psycopg.connect(settings.pg_conninfo())
    except psycopg.OperationalError as error:
        raise WarehouseUnavailable(_unreachable(settings, error)) from None


def _unreachable(settings: Settings, error: Exception) -> str:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if settings.pg_password:
        reason = reason.replace(settings.pg_password, "***")
    return f"cannot reach {settings.describe()}: {reason}"


def preflight(settings: Settings) -> None:
    """Fail fast, with one readable line, when the warehouse cannot be opened for writing."""
    if settings.target == "postgres":
        ensure_postgres_database(settings)
        return
    if settings.target == "spark":  # Java, and the folder the tables and metastore live in
        from warehouse.spark import require_java

        require_java()
        settings.spark_warehouse_dir.mkdir(parents=True, exist_ok=True)
        return
    connect_duckdb(settings).close()


def drop_warehouse(settings: Settings) -> None:
    """Start from nothing: the DuckDB file and its WAL, or the PostgreSQL database."""
    if settings.target == "postgres":
        drop_postgres_database(settings)
        return
    if settings.target == "spark":  # the tables' folder and the Derby metastore beside it
        import shutil

        shutil.rmtree(settings.spark_warehouse_dir, ignore_errors=True)
        if not settings.spark_metastore_url:
            shutil.rmtree(settings.spark_derby_dir, ignore_errors=True)
        return
    for suffix in ("", ".wal"):
        Path(f"{settings.duckdb_path}{suffix}").unlink(missing_ok=True)
