"""Streaming features: one push source and one feature view per entity that events move
(customer, account, opportunity), written by the event worker (``events.features``) with
Feast's ``push`` to the online store as each event arrives.

They sit beside the views derived from the dbt feature models and do not replace any of them:
the next daily run recomputes the entity's features from raw, where the event's row also
landed. The push sources' batch source is a Parquet path that only an offline push would fill;
the events' offline copy is the raw tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from feature_repo.config import feast_dir
from feature_repo.feature_views import feast_dtype
from warehouse.settings import Settings

if TYPE_CHECKING:
    from feast import Entity, FeatureView, PushSource

STREAM_TIMESTAMP = "event_timestamp"
#: How long a streamed value stays valid online (the next daily run recomputes the entity).
STREAM_TTL = timedelta(days=2)

#: entity -> streamed feature -> Feast type.
STREAM_FEATURES: dict[str, dict[str, str]] = {
    "customer": {
        "last_event_type": "String",
        "last_event_at": "UnixTimestamp",
        "last_order_total": "Float64",
        "live_lifetime_revenue": "Float64",
        "open_cart_value": "Float64",
    },
    "account": {
        "last_event_type": "String",
        "last_event_at": "UnixTimestamp",
        "usage_events_today": "Int64",
        "owner_user_id": "String",
    },
    "opportunity": {
        "last_event_type": "String",
        "last_event_at": "UnixTimestamp",
        "stage": "String",
        "amount": "Float64",
        "has_competitor": "Bool",
        "live_risk_score": "Float64",
    },
}


def push_source_name(entity: str) -> str:
    return f"{entity}_events_push"


def stream_view_name(entity: str) -> str:
    return f"{entity}_events"


@dataclass(frozen=True)
class StreamDefinitions:
    push_sources: dict[str, PushSource]
    views: dict[str, FeatureView]

    def objects(self) -> list[Any]:
        return [*self.push_sources.values(), *self.views.values()]


def build_stream_definitions(
    entities: Mapping[str, Entity], settings: Settings
) -> StreamDefinitions:
    """A push source and a view for each streamed entity the feature repo has."""
    from feast import FeatureView, Field, FileSource, PushSource

    sources: dict[str, PushSource] = {}
    views: dict[str, FeatureView] = {}
    for entity_name, features in STREAM_FEATURES.items():
        entity = entities.get(entity_name)
        if entity is None:
            continue
        batch = FileSource(
            name=f"{stream_view_name(entity_name)}_offline",
            path=str((feast_dir(settings) / "stream" / f"{entity_name}_events.parquet").resolve()),
            timestamp_field=STREAM_TIMESTAMP,
        )
        source = PushSource(name=push_source_name(entity_name), batch_source=batch)
        sources[entity_name] = source
        views[entity_name] = FeatureView(
            name=stream_view_name(entity_name),
            entities=[entity],
            ttl=STREAM_TTL,
            schema=[Field(name=name, dtype=feast_dtype(kind)) for name, kind in features.items()],
            source=source,
            online=True,
            description=f"Streamed {entity_name} features, pushed by the event worker",
            tags={"entity": entity_name, "stream": "events"},
        )
    return StreamDefinitions(sources, views)
