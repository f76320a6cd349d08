"""Feast's PostgreSQL offline store with a ``DISTINCT ON`` point-in-time join per view.

Why: the stock store's Jinja query took 13.6 s for 2,000 label rows of the customer churn
service here, where one hash join per view (entity rows x feature rows of the same entity within
the TTL, then ``DISTINCT ON`` the entity row ordered by feature time descending) takes about as
long as a hand-written query for all 37k rows.

The entity rows go to a temp table by ``COPY`` on the same connection; the password comes from
the rendered config (the environment), never from a file. Selected in
``environments/postgres*/feature_store.yaml`` as
``type: feature_repo.offline_stores.postgres_distinct_on.DistinctOnPostgreSQLOfflineStore``; the
dispatch and the fallback to the stock store are ``point_in_time.PointInTimeJoinStore``'s.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import pyarrow
from feast.data_source import DataSource
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres import (
    PostgreSQLOfflineStore,
    PostgreSQLOfflineStoreConfig,
)
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)
from feast.repo_config import RepoConfig
from pydantic import StrictStr

from feature_repo.offline_stores.point_in_time import (
    ENTITY_TABLE,
    PointInTimeJoinStore,
    ViewFeatures,
    join_keys,
    output_name,
    quote,
)

ROW_ID = "feast_row_id"
STORE_TYPE = "feature_repo.offline_stores.postgres_distinct_on.DistinctOnPostgreSQLOfflineStore"


class DistinctOnPostgreSQLOfflineStoreConfig(PostgreSQLOfflineStoreConfig):
    # The stock config narrows ``type`` to "postgres"; a custom store is named by its class path.
    type: StrictStr = STORE_TYPE  # type: ignore[assignment]


_COLUMN_TYPES = {"i": "bigint", "u": "bigint", "f": "double precision", "b": "boolean"}


def column_type(series: pd.Series) -> str:
    """The Postgres type of an entity-dataframe column."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    return _COLUMN_TYPES.get(series.dtype.kind, "text")


def distinct_on_sql(
    entity_columns: list[str],
    timestamp_column: str,
    views: ViewFeatures,
    full_feature_names: bool,
) -> str:
    """One SELECT over the temp entity table with a DISTINCT ON join per view."""
    stamp = quote(timestamp_column)
    selected = [f"entity_rows.{quote(column)}" for column in entity_columns]
    joins = []
    for index, (view, features) in enumerate(views):
        alias = f"view_{index}"
        source = view.batch_source
        assert isinstance(source, PostgreSQLSource)
        feature_time = f"feature_rows.{quote(source.timestamp_field)}"
        conditions = [
            *(
                f"feature_rows.{quote(feature_key)} = candidates.{quote(entity_key)}"
                for feature_key, entity_key in join_keys(view).items()
            ),
            f"{feature_time} <= candidates.{stamp}",
        ]
        if view.ttl:
            conditions.append(f"{feature_time} >= candidates.{stamp} - {_interval(view.ttl)}")
        columns = ", ".join(f"feature_rows.{quote(feature)}" for feature in features)
        joins.append(
            f"left join (select distinct on (candidates.{ROW_ID}) candidates.{ROW_ID}"
            f"{', ' if columns else ''}{columns} from {ENTITY_TABLE} as candidates "
            f"join {source.get_table_query_string()} as feature_rows on "
            + " and ".join(conditions)
            + f" order by candidates.{ROW_ID}, {feature_time} desc) as {alias} "
            f"on {alias}.{ROW_ID} = entity_rows.{ROW_ID}"
        )
        for feature in features:
            output = output_name(view, feature, full_feature_names)
            selected.append(f"{alias}.{quote(feature)} as {quote(output)}")
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
    rows: pd.DataFrame, views: ViewFeatures, full_feature_names: bool
) -> dict[str, pyarrow.DataType]:
    """Arrow type of every output column, so the CSV result parses without guessing."""
    types = {
        column: pyarrow.Schema.from_pandas(rows[[column]], preserve_index=False).field(0).type
        for column in rows.columns
    }
    for view, features in views:
        dtypes = {field.name: str(field.dtype) for field in view.features}
        for feature in features:
            output = output_name(view, feature, full_feature_names)
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
            f"{quote(column)} {column_type(rows[column])}" for column in rows.columns
        )
        incoming = rows.to_csv(index=True, header=False).encode()
        result = io.BytesIO()
        with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
            cursor.execute(
                f"create temp table {ENTITY_TABLE} ({ROW_ID} bigint, {definitions}) on commit drop"
            )
            columns = ", ".join([ROW_ID, *(quote(column) for column in rows.columns)])
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


class DistinctOnPostgreSQLOfflineStore(PointInTimeJoinStore, PostgreSQLOfflineStore):
    stock = PostgreSQLOfflineStore

    @staticmethod
    def reads(source: DataSource) -> bool:
        """Postgres tables and queries."""
        return isinstance(source, PostgreSQLSource)

    join_sql = staticmethod(distinct_on_sql)

    @classmethod
    def runner(
        cls,
        config: RepoConfig,
        rows: pd.DataFrame,
        sql: str,
        views: ViewFeatures,
        full_feature_names: bool,
    ) -> Callable[[], pyarrow.Table]:
        return _run_postgres(
            config.offline_store,
            rows.reset_index(drop=True),
            sql,
            output_arrow_types(rows, views, full_feature_names),
        )
