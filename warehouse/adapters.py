"""One adapter per warehouse, so callers never branch on the target.

SQL given to a session uses ``%s`` placeholders on both engines (translated to ``?`` for
DuckDB). :meth:`Session.append_frame` is the one way a frame is appended to a table: a DuckDB
insert from the registered frame, a PostgreSQL ``COPY``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from warehouse.connections import connect_duckdb, connect_postgres, ensure_postgres_database
from warehouse.settings import Settings, Target

if TYPE_CHECKING:
    import pandas as pd


class Session(ABC):
    """One open connection: statements, rows, frames and appends in one place."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one statement; its column names and rows (none for statements without)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows (empty for statements without a result)."""
        return self._run(sql, params)[1]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a query as dicts keyed by column name."""
        names, rows = self._run(sql, params)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import pandas as pd

        names, rows = self._run(sql, params)
        return pd.DataFrame(rows, columns=names)

    def table_exists(self, qualified_name: str) -> bool:
        """Whether ``schema.table`` exists (information_schema answers on both engines)."""
        schema, table = qualified_name.split(".", 1)
        found = self.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = %s and table_name = %s",
            (schema, table),
        )
        return bool(found[0][0])

    def ensure_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {schema}")

    @abstractmethod
    def append_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Append ``frame``'s rows to ``table`` (its columns by name); the number appended."""

    def update(self, table: str, values: Mapping[str, Any], where: Mapping[str, Any]) -> None:
        """Set ``values`` on the rows of ``table`` whose columns equal ``where``."""
        assignments = ", ".join(f"{column} = %s" for column in values)
        condition = " and ".join(f"{column} = %s" for column in where)
        self.execute(
            f"update {table} set {assignments} where {condition}",
            (*values.values(), *where.values()),
        )

    def lock(self, key: str) -> None:  # noqa: B027 - DuckDB needs nothing: one writer per file
        """Serialize writers on ``key`` until the transaction ends."""


def _duckdb_args(sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
    """DuckDB's ``?`` placeholders for ``%s``; without parameters the text is left alone."""
    return (sql.replace("%s", "?"), list(params)) if params else (sql, [])


class DuckDBSession(Session):
    def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        result = self.connection.execute(*_duckdb_args(sql, params))
        if not result.description:
            return [], []
        return [column[0] for column in result.description], result.fetchall()

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return self.connection.execute(*_duckdb_args(sql, params)).df()

    def append_frame(self, table: str, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        columns = ", ".join(frame.columns)
        self.connection.register("_ciw_incoming", frame)
        try:
            self.connection.execute(
                f"insert into {table} ({columns}) select {columns} from _ciw_incoming"
            )
        finally:
            self.connection.unregister("_ciw_incoming")
        return len(frame)


class PostgresSession(Session):
    def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.connection.cursor() as cursor:
            # Without parameters the text is sent as is: a literal % needs no escaping.
            cursor.execute(sql, list(params) if params else None)
            if not cursor.description:
                return [], []
            return [column.name for column in cursor.description], cursor.fetchall()

    def ensure_schema(self, schema: str) -> None:
        # Two writers creating one schema at once collide on its unique name: one at a time.
        self.lock(f"schema:{schema}")
        super().ensure_schema(schema)

    def append_frame(self, table: str, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        columns = ", ".join(frame.columns)
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"copy {table} ({columns}) from stdin") as copy,
        ):
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([python_value(value) for value in row])
        return len(frame)

    def lock(self, key: str) -> None:
        self.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))


class _SparkConnection:
    """The process's Spark session as a connection: Spark has no transactions, so commit and
    rollback do nothing, and closing leaves the session for the next caller."""

    def __init__(self, settings: Settings) -> None:
        from warehouse.spark import spark_session

        self.spark = spark_session(settings)

    def commit(self) -> None:
        """Each Spark statement stands alone."""

    def rollback(self) -> None:
        """Nothing to undo: each Spark statement stands alone."""

    def close(self) -> None:
        """The session outlives one use (it took seconds to start)."""


class SparkSQLSession(Session):
    """Statements through ``spark.sql`` (``%s`` placeholders become Spark's ``?``); a
    hand-written ``create table`` loses the keys and constraints Parquet tables cannot hold."""

    def _query(self, sql: str, params: Sequence[Any]) -> Any:
        from warehouse.spark import spark_table_ddl

        spark = self.connection.spark
        sql = spark_table_ddl(sql)
        return spark.sql(sql.replace("%s", "?"), args=list(params)) if params else spark.sql(sql)

    def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        result = self._query(sql, params)
        if not result.columns:
            return [], []
        return list(result.columns), [tuple(row) for row in result.collect()]

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        from warehouse.spark import to_pandas

        return to_pandas(self._query(sql, params))

    def table_exists(self, qualified_name: str) -> bool:
        return bool(self.connection.spark.catalog.tableExists(qualified_name))

    def append_frame(self, table: str, frame: pd.DataFrame) -> int:
        """The frame's columns by name; a table column the frame lacks is NULL."""
        from warehouse.spark import insert_by_name

        if frame.empty:
            return 0
        insert_by_name(self.connection.spark.createDataFrame(frame), table)
        return len(frame)

    def update(self, table: str, values: Mapping[str, Any], where: Mapping[str, Any]) -> None:
        """Parquet tables take no UPDATE: the table is read, changed and written over. For the
        small tables that are updated in place (the model registry), not for large ones."""
        from warehouse.spark import to_pandas

        spark = self.connection.spark
        current = spark.table(table)
        frame = to_pandas(current)
        chosen = frame.index == frame.index
        for column, value in where.items():
            chosen &= (frame[column] == value).to_numpy()
        if not chosen.any():
            return
        for column, value in values.items():
            frame[column] = frame[column].where(~chosen, value)
        spark.createDataFrame(frame, schema=current.schema).write.insertInto(table, overwrite=True)


def python_value(value: object) -> object:
    """numpy / pandas scalars as plain Python for the PostgreSQL driver; NaN and NaT as NULL."""
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    item = getattr(value, "item", None)
    if callable(item):
        plain = item()
        return None if isinstance(plain, float) and math.isnan(plain) else plain
    return value


class Adapter(ABC):
    """How one kind of warehouse is opened and what its SQL types are called."""

    target: ClassVar[Target]
    #: The type name of a double-precision column in DDL this project writes by hand.
    float_type: ClassVar[str]
    #: Whether only one process may write at a time (a DuckDB file takes one writer).
    single_writer: ClassVar[bool]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def _open(self) -> Session:
        """A new session on a new connection, autocommitting each statement."""

    @contextmanager
    def session(self, *, transaction: bool = False) -> Iterator[Session]:
        """A session; with ``transaction``, every statement commits together or not at all."""
        session = self._open()
        connection = session.connection
        try:
            if transaction:
                self._begin(session)
            yield session
            if transaction:
                connection.commit()
        except BaseException:
            if transaction:
                connection.rollback()
            raise
        finally:
            connection.close()

    def _begin(self, session: Session) -> None:
        session.connection.begin()

    @abstractmethod
    def ensure_database(self) -> None:
        """Make sure the warehouse exists before another tool (dbt) connects to it."""

    def read_frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.session() as session:
            return session.frame(sql, params)

    def append_frame(self, table: str, frame: pd.DataFrame, *, ddl: Sequence[str] = ()) -> int:
        """Append ``frame`` to ``schema.table`` in one transaction, first creating the schema
        and running ``ddl`` (``create table if not exists ...``) when given."""
        if frame.empty and not ddl:
            return 0
        with self.session(transaction=True) as session:
            session.ensure_schema(table.split(".", 1)[0])
            for statement in ddl:
                session.execute(statement)
            return session.append_frame(table, frame)


class DuckDBAdapter(Adapter):
    target = "duckdb"
    float_type = "double"
    single_writer = True

    def _open(self) -> Session:
        return DuckDBSession(connect_duckdb(self.settings))

    def ensure_database(self) -> None:
        """The file's folder; DuckDB creates the file itself on first connection."""
        self.settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)


class PostgresAdapter(Adapter):
    target = "postgres"
    float_type = "double precision"
    single_writer = False

    def _open(self) -> Session:
        connection = connect_postgres(self.settings)
        connection.autocommit = True
        return PostgresSession(connection)

    def _begin(self, session: Session) -> None:
        session.connection.autocommit = False

    def ensure_database(self) -> None:
        """The configured database, created when the server lacks it."""
        ensure_postgres_database(self.settings)


class SparkAdapter(Adapter):
    target = "spark"
    float_type = "double"
    #: The default metastore (embedded Derby) admits one process at a time.
    single_writer = True

    def _open(self) -> Session:
        return SparkSQLSession(_SparkConnection(self.settings))

    def _begin(self, session: Session) -> None:
        """Spark has no transactions: each statement commits on its own."""

    def ensure_database(self) -> None:
        """The warehouse folder; the metastore creates itself on the first session. A
        command about to start its own session (dbt's) on a warehouse that another process
        serves over Spark Connect is told who serves it and how to join instead."""
        from warehouse.spark_connect import refuse_if_served_elsewhere

        if not self.settings.spark_remote:
            refuse_if_served_elsewhere(self.settings)
        self.settings.spark_warehouse_dir.mkdir(parents=True, exist_ok=True)


ADAPTERS: dict[Target, type[Adapter]] = {
    "duckdb": DuckDBAdapter,
    "postgres": PostgresAdapter,
    "spark": SparkAdapter,
}


def create_table_sql(
    target: Target, table: str, columns: Mapping[str, str], primary_key: Sequence[str] = ()
) -> str:
    """``create table if not exists`` for a table the project writes by hand: ``columns`` in
    DuckDB and PostgreSQL spelling (``varchar not null``). Spark's Parquet tables take neither
    constraints nor keys: the types in Spark's spelling, nothing else."""
    if target == "spark":
        from warehouse.spark import spark_type

        body = ", ".join(
            f"{name} {spark_type(kind.lower().replace(' not null', ''))}"
            for name, kind in columns.items()
        )
        return f"create table if not exists {table} ({body}) using parquet"
    parts = [f"{name} {kind}" for name, kind in columns.items()]
    if primary_key:
        parts.append(f"primary key ({', '.join(primary_key)})")
    return f"create table if not exists {table} ({', '.join(parts)})"


def text_type(target: Target) -> str:
    """The name of a text type a ``cast`` takes on ``target`` (Spark has no ``varchar``
    without a length)."""
    return "string" if target == "spark" else "varchar"


def float_type(target: Target) -> str:
    """The name of a double-precision column type in ``target``'s DDL."""
    return ADAPTERS[target].float_type


def adapter_for(settings: Settings) -> Adapter:
    """The adapter of the warehouse ``settings`` point at."""
    return ADAPTERS[settings.target](settings)


__all__ = [
    "Adapter",
    "DuckDBAdapter",
    "PostgresAdapter",
    "Session",
    "SparkAdapter",
    "SparkSQLSession",
    "adapter_for",
    "create_table_sql",
    "float_type",
    "python_value",
    "text_type",
]
