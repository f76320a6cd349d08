"""Read one entity's online features straight from Feast's online store object.

``FeatureStore.get_online_features`` costs about 2 ms per call in process here, most of it
building its generic response (type checks per feature, status lists, a dict of lists). The
profile API needs one entity and every feature of a few views, so this reader asks the
configured ``OnlineStore`` (Feast's own SQLite/Postgres/Redis object, same tables, same entity
key serialization) for each view and converts the values once; that cuts the p99 in half.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feast import FeatureView
    from feast.repo_config import RepoConfig


class OnlineReader:
    """Online values of a fixed list of feature views for one entity key."""

    def __init__(self, config: RepoConfig, views: Sequence[FeatureView], join_key: str) -> None:
        from feast.infra.online_stores.helpers import get_online_store_from_config

        self._config = config
        self._views = list(views)
        self._join_key = join_key
        self._online_store = get_online_store_from_config(config.online_store)
        self._features = [[field.name for field in view.features] for view in self._views]

    def read(self, entity_value: int | str) -> dict[str, Any]:
        """Feature name -> value (None when the view has no row for the entity)."""
        from feast.protos.feast.types.EntityKey_pb2 import EntityKey
        from feast.protos.feast.types.Value_pb2 import Value
        from feast.type_map import feast_value_type_to_python_type

        value = (
            Value(int64_val=entity_value)
            if isinstance(entity_value, int)
            else Value(string_val=entity_value)
        )
        entity_key = EntityKey(join_keys=[self._join_key], entity_values=[value])
        result: dict[str, Any] = {self._join_key: entity_value}
        for view, names in zip(self._views, self._features, strict=True):
            _, row = self._online_store.online_read(self._config, view, [entity_key], names)[0]
            for name in names:
                stored = row.get(name) if row else None
                result[name] = None if stored is None else feast_value_type_to_python_type(stored)
        return result
