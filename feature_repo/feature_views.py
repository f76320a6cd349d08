"""Feast feature views: one per dbt feature model, plus the customers' latest scores.

A view's schema is the model's YAML columns (see ``dbt_features``), so a column added in dbt
appears here with no edit. The scores view is the one hand-written view: scores are not a dbt
feature model but the ML side's output, pushed to the online store for the profile API.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from feature_repo.config import reads_parquet_copies
from feature_repo.data_sources import offline_parquet_path, quote
from feature_repo.dbt_features import FeatureModel
from warehouse.settings import Settings

if TYPE_CHECKING:
    from feast import Entity, FeatureView
    from feast.data_source import DataSource

SCORES_VIEW = "customer_scores"
SCORES_ENTITY = "customer"
SCORES_TIMESTAMP = "score_timestamp"
#: The columns the pipeline pushes (``marts.customer_risk_scores``) and their Feast types.
SCORE_COLUMNS: dict[str, str] = {
    "churn_probability": "Float64",
    "churn_risk_band": "String",
    "predicted_revenue": "Float64",
    "clv_horizon_days": "Int64",
    "segment_name": "String",
    "scored_at": "UnixTimestamp",
}
#: How long a pushed score stays valid online: scores are refreshed daily.
SCORES_TTL = timedelta(days=400)


def feast_dtype(name: str) -> Any:
    from feast import types

    return {
        "Int64": types.Int64,
        "Float64": types.Float64,
        "Bool": types.Bool,
        "String": types.String,
        "UnixTimestamp": types.UnixTimestamp,
    }[name]


def build_feature_view(
    model: FeatureModel, entity: Entity, source: DataSource, ttl: timedelta
) -> FeatureView:
    from feast import FeatureView, Field

    return FeatureView(
        name=model.name,
        entities=[entity],
        ttl=ttl,
        schema=[
            Field(
                name=column.name,
                dtype=feast_dtype(column.feast_type),
                description=column.description,
            )
            for column in model.columns
        ],
        source=source,
        online=True,
        description=model.description,
        tags={"dbt_model": model.name, "entity": model.entity},
    )


def build_feature_views(
    models: Mapping[str, FeatureModel],
    entities: Mapping[str, Entity],
    sources: Mapping[str, DataSource],
    ttl: timedelta,
) -> dict[str, FeatureView]:
    """Model name -> view for every feature model (label models are entity rows, not views)."""
    return {
        name: build_feature_view(model, entities[model.entity], sources[name], ttl)
        for name, model in models.items()
        if not model.is_label
    }


def scores_source(settings: Settings, customer_column: str) -> DataSource:
    """Where the scores view's offline rows live: a Parquet copy (DuckDB) or the mart."""
    if reads_parquet_copies(settings):
        from feast import FileSource

        return FileSource(
            name=f"{SCORES_VIEW}_source",
            path=str(offline_parquet_path(settings, SCORES_VIEW).resolve()),
            timestamp_field=SCORES_TIMESTAMP,
            description="Latest customer scores written by FeatureStoreGateway.push_scores",
        )
    from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
        PostgreSQLSource,
    )

    columns = ", ".join(quote(name) for name in SCORE_COLUMNS)
    return PostgreSQLSource(
        name=f"{SCORES_VIEW}_source",
        query=f"select {quote(customer_column)}, {columns}, scored_at as {SCORES_TIMESTAMP} "
        "from marts.customer_risk_scores",
        timestamp_field=SCORES_TIMESTAMP,
        description="dbt model marts.customer_risk_scores",
    )


def build_scores_view(entity: Entity, source: DataSource) -> FeatureView:
    from feast import FeatureView, Field

    return FeatureView(
        name=SCORES_VIEW,
        entities=[entity],
        ttl=SCORES_TTL,
        schema=[Field(name=name, dtype=feast_dtype(kind)) for name, kind in SCORE_COLUMNS.items()],
        source=source,
        online=True,
        description="Each customer's latest churn probability, predicted revenue and segment.",
    )
