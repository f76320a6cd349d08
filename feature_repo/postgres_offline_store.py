"""Feast's PostgreSQL offline store with a ``DISTINCT ON`` point-in-time join per view.

Why: the stock store's Jinja query took 13.6 s for 2,000 label rows of the customer churn
service here, where one hash join per view (entity rows x feature rows of the same entity within
the TTL, then ``DISTINCT ON`` the entity row ordered by feature time descending) takes about as
long as a hand-written query for all 37k rows. Semantics are Feast's: the latest feature row on
or before the entity timestamp, NULL when older than the view's TTL or absent.

The entity rows go to a temp table by ``COPY`` on the same connection; the password comes from
the rendered config (the environment), never from a file. Selected in
``environments/postgres*/feature_store.yaml`` as
``type: feature_repo.postgres_offline_store.DistinctOnPostgreSQLOfflineStore``; anything this
join does not cover falls back to the stock implementation.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import pyarrow
from feast.feature_view import FeatureView
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres import (
    PostgreSQLOfflineStore,
    PostgreSQLOfflineStoreConfig,
)
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)
from feast.infra.offline_stores.offline_store import RetrievalJob
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import RepoConfig
from pydantic import StrictStr

from feature_repo.offline_store import (
    SqlRetrievalJob,
    entity_timestamp_column,
    naive_utc,
    requested_features,
    retrieval_metadata,
)

ENTITY_TABLE = "feast_entity_rows"
ROW_ID = "feast_row_id"


class DistinctOnPostgreSQLOfflineStoreConfig(PostgreSQLOfflineStoreConfig):
    # The stock config narrows ``type`` to "postgres"; a custom store is named by its class path.
    type: StrictStr = "feature_repo.postgres_offline_store.DistinctOnPostgreSQLOfflineStore"  # type: ignore[assignment]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_COLUMN_TYPES = {"i": "bigint", "u": "bigint", "f": "double precision", "b": "boolean"}


def column_type(series: pd.Series) -> str:
    """The Postgres type of an entity-dataframe column."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    return _COLUMN_TYPES.get(series.dtype.kind, "text")


def distinct_on_sql(
    entity_columns: list[str],
    timestamp_column: str,
    views: list[tuple[FeatureView, list[str]]],
    full_feature_names: bool,
) -> str:
    """One SELECT over the temp entity table with a DISTINCT ON join per view."""
    stamp = _quote(timestamp_column)
    selected = [f"entity_rows.{_quote(column)}" for column in entity_columns]
    joins = []
    for index, (view, features) in enumerate(views):
        alias = f"view_{index}"
        source = view.batch_source
        assert isinstance(source, PostgreSQLSource)
        feature_time = f"feature_rows.{_quote(source.timestamp_field)}"
        key_map = view.projection.join_key_map or {
            column.name: column.name for column in view.entity_columns
        }
        conditions = [
            *(
                f"feature_rows.{_quote(feature_key)} = candidates.{_quote(entity_key)}"
                for feature_key, entity_key in key_map.items()
            ),
            f"{feature_time} <= candidates.{stamp}",
        ]
        if view.ttl:
            conditions.append(f"{feature_time} >= candidates.{stamp} - {_interval(view.ttl)}")
        columns = ", ".join(f"feature_rows.{_quote(feature)}" for feature in features)
        joins.append(
            f"left join (select distinct on (candidates.{ROW_ID}) candidates.{ROW_ID}"
            f"{', ' if columns else ''}{columns} from {ENTITY_TABLE} as candidates "
            f"join {source.get_table_query_string()} as feature_rows on "
            + " and ".join(conditions)
            + f" order by candidates.{ROW_ID}, {feature_time} desc) as {alias} "
            f"on {alias}.{ROW_ID} = entity_rows.{ROW_ID}"
        )
        prefix = view.projection.name_alias or view.name
        for feature in features:
            output = f"{prefix}__{feature}" if full_feature_names else feature
            selected.append(f"{alias}.{_quote(feature)} as {_quote(output)}")
    return f"select {', '.join(selected)} from {ENTITY_TABLE} as entity_rows " + " ".join(joins)


def _interval(ttl: timedelta) -> str:
    return f"interval '{int(ttl.total_seconds())} seconds'"


_ARROW_TYPES = {
    "Int64": pyarrow.int64(),
    "Float64": pyarrow.float64(),
    "Bool": pyarrow.bool_(),
    "String": pyarrow.string(),
    "UnixTimestamp": pyarrow.timestamp("us"),
}


def output_arrow_types(
    rows: pd.DataFrame, views: list[tuple[FeatureView, list[str]]], full_feature_names: bool
) -> dict[str, pyarrow.DataType]:
    """Arrow type of every output column, so the CSV result parses without guessing."""
    types = {
        column: pyarrow.Schema.from_pandas(rows[[column]], preserve_index=False).field(0).type
        for column in rows.columns
    }
    for view, features in views:
        dtypes = {field.name: str(field.dtype) for field in view.features}
        prefix = view.projection.name_alias or view.name
        for feature in features:
            output = f"{prefix}__{feature}" if full_feature_names else feature
            types[output] = _ARROW_TYPES.get(dtypes.get(feature, ""), pyarrow.string())
    return types


def _run_postgres(
    config: PostgreSQLOfflineStoreConfig,
    rows: pd.DataFrame,
    sql: str,
    types: dict[str, pyarrow.DataType],
) -> Callable[[], pyarrow.Table]:
    """Entity rows in and the result out as CSV through COPY: parsed in C by Arrow, which is
    several times faster than building Python objects for every value with ``fetchall``."""

    def run() -> pyarrow.Table:
        import psycopg
        from psycopg.conninfo import make_conninfo
        from pyarrow import csv

        conninfo = make_conninfo(
            host=config.host,
            port=int(config.port),
            dbname=config.database,
            user=config.user,
            password=config.password or None,
            sslmode=config.sslmode or None,
        )
        definitions = ", ".join(
            f"{_quote(column)} {column_type(rows[column])}" for column in rows.columns
        )
        incoming = rows.to_csv(index=True, header=False).encode()
        result = io.BytesIO()
        with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
            cursor.execute(
                f"create temp table {ENTITY_TABLE} ({ROW_ID} bigint, {definitions}) on commit drop"
            )
            columns = ", ".join([ROW_ID, *(_quote(column) for column in rows.columns)])
            with cursor.copy(f"copy {ENTITY_TABLE} ({columns}) from stdin (format csv)") as copy:
                copy.write(incoming)
            cursor.execute(f"analyze {ENTITY_TABLE}")
            with cursor.copy(f"copy ({sql}) to stdout (format csv, header true)") as copy:
                for block in copy:
                    result.write(block)
        result.seek(0)
        return csv.read_csv(
            result,
            convert_options=csv.ConvertOptions(
                column_types=types,
                true_values=["t"],
                false_values=["f"],
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )

    return run


def _handled_here(views: list[FeatureView]) -> bool:
    for view in views:
        source = view.batch_source
        if not isinstance(source, PostgreSQLSource):
            return False
        if source.created_timestamp_column or source.field_mapping:
            return False
    return True


class DistinctOnPostgreSQLOfflineStore(PostgreSQLOfflineStore):
    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
        **kwargs: object,
    ) -> RetrievalJob:
        on_demand = OnDemandFeatureView.get_requested_odfvs(feature_refs, project, registry)
        if not isinstance(entity_df, pd.DataFrame) or on_demand or not _handled_here(feature_views):
            return PostgreSQLOfflineStore.get_historical_features(
                config,
                feature_views,
                feature_refs,
                entity_df,
                registry,
                project,
                full_feature_names,
                filter_by_created_timestamp,
                **kwargs,
            )
        timestamp_column = entity_timestamp_column(entity_df)
        rows = naive_utc(entity_df, timestamp_column)
        views = requested_features(feature_views, feature_refs)
        sql = distinct_on_sql(list(rows.columns), timestamp_column, views, full_feature_names)
        return SqlRetrievalJob(
            _run_postgres(
                config.offline_store,
                rows.reset_index(drop=True),
                sql,
                output_arrow_types(rows, views, full_feature_names),
            ),
            timestamp_column,
            sql,
            full_feature_names,
            retrieval_metadata(rows, timestamp_column, feature_refs),
        )
