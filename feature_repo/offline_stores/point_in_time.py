"""What the project's Feast offline stores share: one dispatch, a SQL hook per dialect.

Feast still resolves services, views, projections and TTLs from the registry; a store built on
``PointInTimeJoinStore`` only changes the join engine for ``get_historical_features``. It keeps
Feast's semantics: per view, the latest feature row whose timestamp is on or before the entity
row's, ignored when older than the view's TTL; entity rows without a match keep NULL. Anything a
dialect does not cover (on-demand views, SQL entity dataframes, sources it cannot read, created
timestamp dedupe, field mappings) falls back to the stock store of that dialect.

A dialect gives ``stock`` (the store to fall back to) and three hooks: ``reads`` (the sources
it can join), ``join_sql`` (one SELECT over the entity rows) and ``runner`` (how that SELECT
runs, returning Arrow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd
import pyarrow
from feast.data_source import DataSource
from feast.feature_view import FeatureView
from feast.infra.offline_stores.offline_store import (
    OfflineStore,
    RetrievalJob,
    RetrievalMetadata,
)
from feast.infra.offline_stores.offline_utils import infer_event_timestamp_from_entity_df
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import RepoConfig

#: The table (DuckDB: a registered frame; Postgres: a temp table) the entity rows are read from.
ENTITY_TABLE = "feast_entity_rows"

ViewFeatures = list[tuple[FeatureView, list[str]]]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def output_name(view: FeatureView, feature: str, full_feature_names: bool) -> str:
    """A feature's column in the result: ``view__feature`` with full feature names."""
    prefix = view.projection.name_alias or view.name
    return f"{prefix}__{feature}" if full_feature_names else feature


def join_keys(view: FeatureView) -> dict[str, str]:
    """Feature-table key -> entity-row key of a view (its projection's mapping, if any)."""
    return view.projection.join_key_map or {
        column.name: column.name for column in view.entity_columns
    }


def requested_features(feature_views: list[FeatureView], feature_refs: list[str]) -> ViewFeatures:
    """Each view with the feature names requested from it (``view:feature`` references)."""
    views = []
    for view in feature_views:
        prefix = f"{view.projection.name_to_use()}:"
        names = [ref.split(":", 1)[1] for ref in feature_refs if ref.startswith(prefix)]
        views.append((view, names))
    return views


def retrieval_metadata(
    rows: pd.DataFrame, timestamp_column: str, feature_refs: list[str]
) -> RetrievalMetadata:
    stamps = rows[timestamp_column]
    return RetrievalMetadata(
        features=feature_refs,
        keys=[column for column in rows.columns if column != timestamp_column],
        min_event_timestamp=stamps.min() if len(rows) else None,
        max_event_timestamp=stamps.max() if len(rows) else None,
    )


def entity_timestamp_column(entity_df: pd.DataFrame) -> str:
    return str(
        infer_event_timestamp_from_entity_df(
            dict(zip(entity_df.columns, entity_df.dtypes, strict=True))
        )
    )


def naive_utc(entity_df: pd.DataFrame, timestamp_column: str) -> pd.DataFrame:
    """Feature timestamps are naive UTC (``cast(as_of_date as timestamp)``); match them."""
    stamps = pd.to_datetime(entity_df[timestamp_column], utc=True).dt.tz_localize(None)
    return entity_df.assign(**{timestamp_column: stamps})


class SqlRetrievalJob(RetrievalJob):
    """A retrieval whose rows come from one SQL statement, run when the rows are asked for."""

    def __init__(
        self,
        run: Callable[[], pyarrow.Table],
        timestamp_column: str,
        sql: str,
        full_feature_names: bool,
        metadata: RetrievalMetadata,
    ) -> None:
        super().__init__()
        self._run = run
        self._timestamp_column = timestamp_column
        self._sql = sql
        self._full_feature_names = full_feature_names
        self._metadata = metadata

    def _to_arrow_internal(self, timeout: int | None = None) -> pyarrow.Table:
        table = self._run()
        index = table.schema.get_field_index(self._timestamp_column)
        stamps = table.column(index).cast(pyarrow.timestamp("us", tz="UTC"))
        return table.set_column(index, self._timestamp_column, stamps)

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._to_arrow_internal(timeout).to_pandas()

    def to_sql(self) -> str:
        return self._sql

    @property
    def full_feature_names(self) -> bool:
        return self._full_feature_names

    @property
    def on_demand_feature_views(self) -> list[OnDemandFeatureView]:
        return []

    @property
    def metadata(self) -> RetrievalMetadata | None:
        return self._metadata

    def persist(self, storage: Any, allow_overwrite: bool = False, timeout: int | None = None):
        raise NotImplementedError("saved datasets are not used in this project")


class PointInTimeJoinStore:
    """The shared ``get_historical_features``; subclasses name ``stock`` and the hooks."""

    #: The stock store of the dialect: everything this join does not cover goes there.
    stock: ClassVar[type[OfflineStore]]

    @staticmethod
    def reads(source: DataSource) -> bool:
        """Whether this join can read the source (a dialect's own kind of source)."""
        raise NotImplementedError

    @classmethod
    def handles(cls, views: list[FeatureView]) -> bool:
        """Whether this join covers every view: sources it reads, without created timestamps
        (Feast's dedupe) or field mappings."""
        sources = [view.batch_source for view in views]
        return all(
            source is not None
            and cls.reads(source)
            and not source.created_timestamp_column
            and not source.field_mapping
            for source in sources
        )

    @staticmethod
    def join_sql(
        entity_columns: list[str],
        timestamp_column: str,
        views: ViewFeatures,
        full_feature_names: bool,
    ) -> str:
        """One SELECT over ``ENTITY_TABLE`` joining every view point in time."""
        raise NotImplementedError

    @classmethod
    def runner(
        cls,
        config: RepoConfig,
        rows: pd.DataFrame,
        sql: str,
        views: ViewFeatures,
        full_feature_names: bool,
    ) -> Callable[[], pyarrow.Table]:
        """A function that puts ``rows`` where ``sql`` reads them, runs it and returns Arrow."""
        raise NotImplementedError

    @classmethod
    def get_historical_features(
        cls,
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
        **kwargs: Any,
    ) -> RetrievalJob:
        on_demand = OnDemandFeatureView.get_requested_odfvs(feature_refs, project, registry)
        if not isinstance(entity_df, pd.DataFrame) or on_demand or not cls.handles(feature_views):
            return cls.stock.get_historical_features(  # type: ignore[call-arg]
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
        sql = cls.join_sql(list(rows.columns), timestamp_column, views, full_feature_names)
        return SqlRetrievalJob(
            cls.runner(config, rows, sql, views, full_feature_names),
            timestamp_column,
            sql,
            full_feature_names,
            retrieval_metadata(rows, timestamp_column, feature_refs),
        )
