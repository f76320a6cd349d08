"""Export the DuckDB feature models to the Parquet files Feast's DuckDB offline store reads.

Feast cannot read a DuckDB database file that another process may be writing, so each feature
model is copied to ``<artifacts>/feast/offline/<model>.parquet`` with the typed projection of
``data_sources.select_sql``. A model is exported again only when its content fingerprint
(row count and the sum of row hashes, computed by DuckDB in milliseconds) or its definition
changed, which keeps ``sync`` fast on a warehouse that did not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feature_repo.data_sources import (
    FEATURES_SCHEMA,
    offline_parquet_path,
    quote,
    select_sql,
)
from feature_repo.dbt_features import FeatureDefinitionError, FeatureModel
from warehouse.settings import Settings

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class ExportOutcome:
    exported: tuple[str, ...]
    unchanged: tuple[str, ...]
    #: Feature models the warehouse lacks: exported empty, so Feast returns no values.
    missing: tuple[str, ...]
    fingerprints: dict[str, str]


def table_columns(duck: duckdb.DuckDBPyConnection, table: str) -> set[str] | None:
    """Columns of ``features.<table>``, or None when the table does not exist."""
    rows = duck.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [FEATURES_SCHEMA, table],
    ).fetchall()
    return {row[0] for row in rows} if rows else None


def content_fingerprint(duck: duckdb.DuckDBPyConnection, model: FeatureModel) -> str:
    """Changes when the exported projection's rows or its definition change."""
    projection = select_sql(model, "duckdb")
    count, hashed = duck.execute(
        f"select count(*), coalesce(sum(hash(exported)), 0) from ({projection}) as exported"
    ).fetchone() or (0, 0)
    return hashlib.sha256(f"{projection}|{count}|{hashed}".encode()).hexdigest()


def empty_sql(model: FeatureModel) -> str:
    """The typed projection with no rows, for a feature model the warehouse lacks."""
    values = ", ".join(
        f"null as {quote(name)}"
        for name in (model.entity_column, model.timestamp_column, *model.feature_names)
    )
    empty = f"(select {values} where false)"
    return select_sql(model, "duckdb").replace(
        f"from {quote(FEATURES_SCHEMA)}.{quote(model.name)}", f"from {empty} as missing_model"
    )


def export_features(
    duck: duckdb.DuckDBPyConnection,
    settings: Settings,
    models: Mapping[str, FeatureModel],
    previous: Mapping[str, str],
) -> ExportOutcome:
    """Copy each changed feature model to its Parquet file (written aside, then renamed)."""
    exported: list[str] = []
    unchanged: list[str] = []
    missing: list[str] = []
    fingerprints: dict[str, str] = {}
    for name, model in models.items():
        path = offline_parquet_path(settings, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = table_columns(duck, name)
        if columns is None:
            query, fingerprint = empty_sql(model), "missing"
            missing.append(name)
        else:
            absent = [
                column
                for column in (model.entity_column, model.timestamp_column, *model.feature_names)
                if column not in columns
            ]
            if absent:
                raise FeatureDefinitionError(
                    f"{FEATURES_SCHEMA}.{name} lacks column(s) {', '.join(absent)} declared in "
                    "its dbt YAML: run dbt build first"
                )
            query, fingerprint = select_sql(model, "duckdb"), content_fingerprint(duck, model)
        fingerprints[name] = fingerprint
        if previous.get(name) == fingerprint and path.exists() and fingerprint != "missing":
            unchanged.append(name)
            continue
        partial = path.with_suffix(".parquet.partial")
        escaped = str(partial).replace("'", "''")
        duck.execute(f"copy ({query}) to '{escaped}' (format parquet)")
        partial.replace(path)
        exported.append(name)
    return ExportOutcome(tuple(exported), tuple(unchanged), tuple(missing), fingerprints)
