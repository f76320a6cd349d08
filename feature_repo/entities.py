"""Feast entities: one per ``meta.feast.entity`` of the dbt feature models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from feature_repo.dbt_features import FeatureModel

if TYPE_CHECKING:
    from feast import Entity


def build_entities(models: Iterable[FeatureModel]) -> dict[str, Entity]:
    """Entity name -> Entity, joined on the dbt entity column with its key type."""
    from feast import Entity, ValueType

    entities: dict[str, Entity] = {}
    for model in models:
        if model.entity in entities:
            continue
        entities[model.entity] = Entity(
            name=model.entity,
            join_keys=[model.entity_column],
            value_type=ValueType.INT64 if model.entity_type == "Int64" else ValueType.STRING,
            description=f"{model.entity} ({model.entity_column}), from dbt meta.feast",
        )
    return entities
