"""Feast, derived from dbt: the feature models' YAML defines every entity, view and service.

Nothing here is written by hand per feature: ``feature_repo.dbt_features`` reads the dbt YAML,
``entities``/``data_sources``/``feature_views``/``feature_services`` turn it into Feast objects,
``config`` renders one ``feature_store.yaml`` per environment for a warehouse, and
``store.FeatureStoreGateway`` is what the pipeline calls. Feast itself is imported lazily by
those modules, so importing this package stays cheap.
"""
