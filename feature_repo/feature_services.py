"""Feast feature services: one per model of ``ml.contracts.MODEL_SPECS``, and the profile.

A service lists the views of the spec's ``feature_models`` in order; its name carries a version
(``customer_churn_v1``) so that a breaking change to a model's inputs gets a new service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from feature_repo.dbt_features import FeatureDefinitionError
from ml.contracts import ModelSpec

if TYPE_CHECKING:
    from feast import FeatureService, FeatureView

SERVICE_VERSION = 1
PROFILE_SERVICE = f"customer_profile_v{SERVICE_VERSION}"


def service_name(spec: ModelSpec) -> str:
    return f"{spec.name}_v{SERVICE_VERSION}"


def build_feature_services(
    specs: Iterable[ModelSpec], views: Mapping[str, FeatureView]
) -> dict[str, FeatureService]:
    """Model name -> service over its feature views; a missing view is an error naming it."""
    from feast import FeatureService

    services: dict[str, FeatureService] = {}
    for spec in specs:
        missing = [name for name in spec.feature_models if name not in views]
        if missing:
            raise FeatureDefinitionError(
                f"model {spec.name} needs feature models without dbt YAML: {', '.join(missing)}"
            )
        services[spec.name] = FeatureService(
            name=service_name(spec),
            features=[views[name] for name in spec.feature_models],
            description=spec.description,
            tags={"model": spec.name, "entity": spec.entity},
        )
    return services


def build_profile_service(
    customer_views: Iterable[FeatureView], scores_view: FeatureView
) -> FeatureService:
    """Everything the profile API shows for one customer: features and the latest scores."""
    from feast import FeatureService

    return FeatureService(
        name=PROFILE_SERVICE,
        features=[*customer_views, scores_view],
        description="One customer's online features and latest scores, for serving.",
    )
