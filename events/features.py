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

    def push_many(self, pushes: dict[tuple[str, str], dict[str, Any]], at: datetime) -> int:
        """Write streamed features online: one Feast push per entity (a push costs the same for
        one row as for hundreds). Entities the feature repo lacks are left out."""
        import pandas as pd
        from feast.data_source import PushMode

        stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
        rows: dict[str, list[dict[str, Any]]] = {}
        for (entity, entity_id), values in pushes.items():
            if entity not in self.definitions.views:
                continue
            key: Any = int(entity_id) if entity == "customer" else str(entity_id)
            row: dict[str, Any] = {self.entities[entity].join_key: key, STREAM_TIMESTAMP: stamp}
            row.update({name: values.get(name) for name in STREAM_FEATURES[entity]})
            rows.setdefault(entity, []).append(row)
        for entity, entity_rows in rows.items():
            frame = pd.DataFrame(entity_rows)
            for name, kind in STREAM_FEATURES[entity].items():
                if kind == "UnixTimestamp":
                    frame[name] = pd.to_datetime(frame[name], utc=True)
            self.gateway.store.push(push_source_name(entity), frame, to=PushMode.ONLINE)
        return sum(len(entity_rows) for entity_rows in rows.values())

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        """The entity's streamed features as the online store holds them."""
        join_key = self.entities[entity].join_key
        key: Any = int(entity_id) if entity == "customer" else str(entity_id)
        names = [f"{stream_view_name(entity)}:{name}" for name in STREAM_FEATURES[entity]]
        answer = self.gateway.store.get_online_features(
            features=names, entity_rows=[{join_key: key}]
        ).to_dict()
        return {name: column[0] for name, column in answer.items()}
