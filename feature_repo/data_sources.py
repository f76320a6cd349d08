"""Feast data sources over the dbt feature models, and the SQL that reads them.

DuckDB: Feast reads Parquet exported from each feature model (``FileSource``); Postgres: Feast
queries the model in place (``PostgreSQLSource``). Both read the same projection: only the
columns the YAML declares, each cast to its Feast type (decimals to double, so Feast never
sees ``Decimal`` objects) and the date timestamp cast to ``timestamp``, because Feast joins on
datetimes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from feature_repo.config import feast_dir, reads_parquet_copies
from feature_repo.dbt_features import FeastType, FeatureModel
from warehouse.settings import Settings

if TYPE_CHECKING:
    from feast.data_source import DataSource

Dialect = Literal["duckdb", "postgres", "spark"]
FEATURES_SCHEMA = "features"

#: Each Feast type's SQL type, per dialect: the casts of the projection Feast reads (Spark's
#: own point-in-time join, ``feature_repo.spark_features``, casts the same way).
SQL_TYPES: dict[Dialect, dict[FeastType, str]] = {
    "duckdb": {"Int64": "bigint", "Float64": "double", "Bool": "boolean", "String": "varchar"},
    "postgres": {
        "Int64": "bigint",
        "Float64": "double precision",
        "Bool": "boolean",
        "String": "text",
    },
    "spark": {"Int64": "bigint", "Float64": "double", "Bool": "boolean", "String": "string"},
}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def source_name(model_name: str) -> str:
    return f"{model_name}_source"


def offline_dir(settings: Settings) -> Path:
    return feast_dir(settings) / "offline"


def offline_parquet_path(settings: Settings, model_name: str) -> Path:
    return offline_dir(settings) / f"{model_name}.parquet"


def select_sql(model: FeatureModel, dialect: Dialect, schema: str = FEATURES_SCHEMA) -> str:
    """The typed projection of a feature model that Feast reads."""
    types = SQL_TYPES[dialect]
    columns = [
        f"cast({quote(model.entity_column)} as {types[model.entity_type]}) "
        f"as {quote(model.entity_column)}",
        f"cast({quote(model.timestamp_column)} as timestamp) as {quote(model.timestamp_column)}",
        *(
            f"cast({quote(column.name)} as {types[column.feast_type]}) as {quote(column.name)}"
            for column in model.columns
        ),
    ]
    return f"select {', '.join(columns)} from {quote(schema)}.{quote(model.name)}"


def build_source(model: FeatureModel, settings: Settings) -> DataSource:
    """The Feast source of one dbt feature model for this warehouse."""
    description = f"dbt model {FEATURES_SCHEMA}.{model.name}"
    if reads_parquet_copies(settings):
        from feast import FileSource

        return FileSource(
            name=source_name(model.name),
            path=str(offline_parquet_path(settings, model.name).resolve()),
            timestamp_field=model.timestamp_column,
            description=description,
        )
    from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
        PostgreSQLSource,
    )

    return PostgreSQLSource(
        name=source_name(model.name),
        query=select_sql(model, "postgres"),
        timestamp_field=model.timestamp_column,
        description=description,
    )
