"""Writing a validated file to the Spark warehouse.

Validation runs in an in-memory DuckDB as for PostgreSQL; the good and quarantined rows then
travel as Parquet and Spark appends them to its tables. Spark tables have no transactions and
no DELETE, so every raw, quarantine and audit table is partitioned by batch: loading a file
again drops its batch's partitions and writes them anew, and the audit row, written last, says
the batch is complete (a load cut short leaves no audit row, and loading the file again
repairs it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sources.contract import RawTable, raw_tables
from sources.load.ddl import (
    AUDIT_COLUMNS,
    AUDIT_RELATION,
    META_SCHEMA,
    QUARANTINE_COLUMNS,
    QUARANTINE_RELATION,
    raw_columns,
)
from sources.load.read import first_line, literal
from sources.load.report import FileLoad, LoadError
from sources.load.scratch import ScratchValidator
from sources.load.sinks import (
    Batch,
    _audit_values,
    _balanced,
    _good_select,
    _quarantine_select,
    utc_now,
)
from warehouse.settings import Settings
from warehouse.spark import insert_by_name, quote_spark, spark_session, spark_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Partition columns of each table: a load replaces exactly its own partitions.
RAW_PARTITION = ("_batch_id",)
META_PARTITION = ("table_key", "_batch_id")


def _table(schema: str, name: str) -> str:
    return f"{quote_spark(schema)}.{quote_spark(name)}"


def _wanted() -> list[tuple[str, str, dict[str, str], tuple[str, ...]]]:
    wanted: list[tuple[str, str, dict[str, str], tuple[str, ...]]] = [
        (table.schema, table.name, raw_columns(table), RAW_PARTITION)
        for table in raw_tables().values()
    ]
    wanted.append((META_SCHEMA, "quarantine", QUARANTINE_COLUMNS, META_PARTITION))
    wanted.append((META_SCHEMA, "load_audit", AUDIT_COLUMNS, META_PARTITION))
    return wanted


def ensure_spark_tables(spark: SparkSession) -> None:
    """Create the raw and load-metadata tables that are missing (Parquet, partitioned by
    batch) and add the contract columns an existing table lacks."""
    for schema in sorted({schema for schema, _, _, _ in _wanted()}):
        spark.sql(f"create database if not exists {quote_spark(schema)}")
    for schema, name, columns, partition in _wanted():
        qualified = f"{schema}.{name}"
        if not spark.catalog.tableExists(qualified):
            body = ", ".join(f"{quote_spark(c)} {spark_type(t)}" for c, t in columns.items())
            keys = ", ".join(quote_spark(column) for column in partition)
            spark.sql(
                f"create table {_table(schema, name)} ({body}) using parquet "
                f"partitioned by ({keys})"
            )
            continue
        present = set(spark.table(qualified).columns)
        missing = [(c, t) for c, t in columns.items() if c not in present]
        if missing:
            added = ", ".join(f"{quote_spark(c)} {spark_type(t)}" for c, t in missing)
            spark.sql(f"alter table {_table(schema, name)} add columns ({added})")


class SparkSink(ScratchValidator):
    """Validates in an in-memory DuckDB, then appends Parquet through Spark."""

    export_options = "format parquet"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        try:
            self.spark = spark_session(settings)
            ensure_spark_tables(self.spark)
        except BaseException:
            self._close_validator()
            raise

    def lookup(self, table: RawTable, column: str, keys: str, into: str, batch_id: str) -> None:
        """Warehouse rows of other batches whose ``column`` is among ``keys`` (see checks):
        the keys go to Spark as Parquet, only the matching rows come back."""
        keys_file, _ = self._export(f"select distinct k from ({keys})", "keys.parquet")
        try:
            wanted = self.spark.read.parquet(str(keys_file))
            existing = self.spark.table(table.relation).where(f"_batch_id <> {literal(batch_id)}")
            matched = existing.join(
                wanted, existing[quote_spark(column)] == wanted["k"], "left_semi"
            ).select(*(quote_spark(name) for name in table.column_names))
            rows = matched.toArrow()
        except Exception as error:  # Spark reports through py4j: any error, one line
            raise LoadError(f"reading {table.relation} for checks: {first_line(error)}") from None
        finally:
            keys_file.unlink(missing_ok=True)
        self.duck.register("_ciw_spark_rows", rows)
        try:
            casts = ", ".join(
                f'cast("{col.name}" as {col.data_type}) as "{col.name}"' for col in table.columns
            )
            self.duck.execute(
                f"create or replace temp table {into} as select {casts} from _ciw_spark_rows"
            )
        finally:
            self.duck.unregister("_ciw_spark_rows")

    def _append(self, path: Path, target: str) -> None:
        """The Parquet file's rows into ``target``, by column name and in its types."""
        insert_by_name(self.spark.read.parquet(str(path)), target)

    def _drop_batch(self, batch: Batch) -> None:
        raw = batch.table
        spark = self.spark
        batch_key = f"_batch_id = {literal(batch.batch_id)}"
        meta_key = f"table_key = {literal(raw.key)}, {batch_key}"
        raw_table = _table(raw.schema, raw.name)
        spark.sql(f"alter table {raw_table} drop if exists partition ({batch_key})")
        for name in ("quarantine", "load_audit"):
            spark.sql(
                f"alter table {_table(META_SCHEMA, name)} drop if exists partition ({meta_key})"
            )

    def write(self, batch: Batch) -> FileLoad:
        import duckdb

        table = batch.table
        loaded_at = utc_now()
        try:
            good, loaded = self._export(_good_select(batch, loaded_at), "good.parquet")
            bad, quarantined = self._export(_quarantine_select(batch, loaded_at), "bad.parquet")
            result = _balanced(self.validator, batch, loaded, quarantined)
        except duckdb.Error as error:
            raise LoadError(
                f"{batch.source_file}: staging for Spark: {first_line(error)}"
            ) from None
        try:
            self._drop_batch(batch)
            # Nothing new (a file loaded again) or nothing bad (the usual case): no empty job.
            if loaded:
                self._append(good, table.relation)
            if quarantined:
                self._append(bad, QUARANTINE_RELATION)
            self._write_audit(result, batch)
        except LoadError:
            raise
        except Exception as error:
            raise LoadError(
                f"{batch.source_file}: writing {table.relation}: {first_line(error)}"
            ) from None
        finally:
            good.unlink(missing_ok=True)
            bad.unlink(missing_ok=True)
        return result

    def _write_audit(self, result: FileLoad, batch: Batch) -> None:
        import pandas as pd

        values = _audit_values(result, batch.started_at, utc_now())
        row = pd.DataFrame([dict(zip(AUDIT_COLUMNS, values, strict=True))])
        insert_by_name(self.spark.createDataFrame(row), AUDIT_RELATION)

    def close(self) -> None:
        self._close_validator()
