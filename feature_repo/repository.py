"""Every Feast object of one warehouse, derived from the dbt YAML and ``MODEL_SPECS``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feature_repo.config import FeastOptions
from feature_repo.data_sources import build_source
from feature_repo.dbt_features import FeatureModel
from feature_repo.entities import build_entities
from feature_repo.feast_import import import_feast
from feature_repo.feature_services import build_feature_services, build_profile_service
from feature_repo.feature_views import (
    SCORES_ENTITY,
    build_feature_views,
    build_scores_view,
    scores_source,
)
from ml.contracts import ModelSpec
from warehouse.settings import Settings

if TYPE_CHECKING:
    from feast import Entity, FeatureService, FeatureView
    from feast.data_source import DataSource


@dataclass(frozen=True)
class FeastDefinitions:
    entities: dict[str, Entity]
    sources: dict[str, DataSource]
    #: dbt model name -> view, for feature models only (the scores view is separate).
    feature_views: dict[str, FeatureView]
    scores_view: FeatureView | None
    #: model name (MODEL_SPECS) -> service.
    services: dict[str, FeatureService]
    profile_service: FeatureService | None

    def objects(self) -> list[Any]:
        """Everything ``FeatureStore.apply`` takes, in dependency order."""
        extra_views = [self.scores_view] if self.scores_view is not None else []
        extra_services = [self.profile_service] if self.profile_service is not None else []
        return [
            *self.entities.values(),
            *self.sources.values(),
            *(view.batch_source for view in extra_views),
            *self.feature_views.values(),
            *extra_views,
            *self.services.values(),
            *extra_services,
        ]


def derive_definitions(
    models: Mapping[str, FeatureModel],
    specs: Mapping[str, ModelSpec],
    settings: Settings,
    options: FeastOptions,
) -> FeastDefinitions:
    """Entities, sources, views and services for ``settings``' warehouse."""
    import_feast()
    feature_models = {name: model for name, model in models.items() if not model.is_label}
    entities = build_entities(models.values())
    sources = {name: build_source(model, settings) for name, model in feature_models.items()}
    views = build_feature_views(feature_models, entities, sources, options.ttl)
    services = build_feature_services(specs.values(), views)
    scores_view = profile = None
    if SCORES_ENTITY in entities:
        customer = entities[SCORES_ENTITY]
        scores_view = build_scores_view(customer, scores_source(settings, customer.join_key))
        customer_views = [
            view for name, view in views.items() if feature_models[name].entity == SCORES_ENTITY
        ]
        profile = build_profile_service(customer_views, scores_view)
    return FeastDefinitions(entities, sources, views, scores_view, services, profile)


def definitions_fingerprint(
    models: Mapping[str, FeatureModel],
    specs: Mapping[str, ModelSpec],
    settings: Settings,
    options: FeastOptions,
) -> str:
    """Changes whenever the applied definitions would: YAML, model specs, TTL, warehouse."""
    text = repr(
        (
            sorted(models.items()),
            sorted(specs.items()),
            settings.target,
            settings.describe(),
            options.ttl,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()
