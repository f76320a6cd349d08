"""Pushing an entity's streaming features to Feast's online store as its event arrives
(the push sources of ``feature_repo.stream_views``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feature_repo.stream_views import (
    STREAM_FEATURES,
    STREAM_TIMESTAMP,
    build_stream_definitions,
    push_source_name,
    stream_view_name,
)
from warehouse.settings import Settings


class StreamFeatures:
    """The stream views applied to this warehouse's Feast registry, and pushes to them."""

    def __init__(self, settings: Settings) -> None:
        from feature_repo.store import FeatureStoreGateway

        self.gateway = FeatureStoreGateway(settings)
        self.entities = self.gateway.definitions.entities
        self.definitions = build_stream_definitions(self.entities, settings)
        store = self.gateway.store
        registered = {view.name for view in store.list_feature_views()}
        missing = [
            entity
            for entity in self.definitions.views
            if stream_view_name(entity) not in registered
        ]
        if missing:
            wanted: list[Any] = [self.entities[entity] for entity in missing]
            for entity in missing:
                wanted += [self.definitions.push_sources[entity], self.definitions.views[entity]]
            store.apply(wanted)

    def push(self, entity: str, entity_id: str, values: dict[str, Any], at: datetime) -> bool:
        """Write ``values`` (streamed features of ``entity``) online; False for an entity the
        feature repo does not have."""
        import pandas as pd
        from feast.data_source import PushMode

        if entity not in self.definitions.views:
            return False
        join_key = self.entities[entity].join_key
        key: Any = int(entity_id) if entity == "customer" else str(entity_id)
        stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
        row: dict[str, Any] = {join_key: key, STREAM_TIMESTAMP: stamp}
        for name, kind in STREAM_FEATURES[entity].items():
            value = values.get(name)
            if kind == "UnixTimestamp" and isinstance(value, datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            row[name] = value
        frame = pd.DataFrame([row])
        for name, kind in STREAM_FEATURES[entity].items():
            if kind == "UnixTimestamp":
                frame[name] = pd.to_datetime(frame[name], utc=True)
        self.gateway.store.push(push_source_name(entity), frame, to=PushMode.ONLINE)
        return True

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        """The entity's streamed features as the online store holds them."""
        join_key = self.entities[entity].join_key
        key: Any = int(entity_id) if entity == "customer" else str(entity_id)
        names = [f"{stream_view_name(entity)}:{name}" for name in STREAM_FEATURES[entity]]
        answer = self.gateway.store.get_online_features(
            features=names, entity_rows=[{join_key: key}]
        ).to_dict()
        return {name: column[0] for name, column in answer.items()}
