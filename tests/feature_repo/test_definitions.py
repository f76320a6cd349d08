"""Feast definitions follow the dbt YAML: entities, views, types, services, environments."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from feature_repo.config import FeastOptions, fill_placeholders, render_config_dict, repo_config
from feature_repo.dbt_features import (
    FEATURES_DIR,
    FeatureDefinitionError,
    load_feature_models,
    parse_documents,
)
from feature_repo.feature_services import service_name
from feature_repo.repository import derive_definitions
from ml.contracts import MODEL_SPECS
from warehouse.settings import Settings, SettingsError

DATE_TYPES = {"date", "timestamp"}


def _yaml_columns(model_name: str, features_dir: Path = FEATURES_DIR) -> list[dict]:
    for path in features_dir.rglob("*.yml"):
        for node in yaml.safe_load(path.read_text()).get("models", []):
            if node["name"] == model_name:
                return list(node["columns"])
    raise AssertionError(f"{model_name} not found")


def test_every_feature_model_becomes_a_view_with_its_yaml_columns(
    duckdb_settings: Settings,
) -> None:
    models = load_feature_models()
    definitions = derive_definitions(models, MODEL_SPECS, duckdb_settings, FeastOptions())

    feature_models = {name for name, model in models.items() if not model.is_label}
    assert set(definitions.feature_views) == feature_models
    for name, view in definitions.feature_views.items():
        model = models[name]
        expected = [
            column["name"]
            for column in _yaml_columns(name)
            if column["name"] not in (model.entity_column, model.timestamp_column)
            and column["data_type"] not in DATE_TYPES
        ]
        assert [field.name for field in view.features] == expected
        assert view.entities == [model.entity]
        assert view.description == model.description
        assert view.ttl == FeastOptions().ttl


def test_types_follow_the_dbt_data_types(duckdb_settings: Settings) -> None:
    from feast import ValueType, types

    models = load_feature_models()
    definitions = derive_definitions(models, MODEL_SPECS, duckdb_settings, FeastOptions())
    orders = {
        field.name: field.dtype
        for field in definitions.feature_views["customer_order_features"].features
    }
    assert orders["orders_30d"] == types.Int64  # integer
    assert orders["revenue_30d"] == types.Float64  # numeric(18,2)
    assert orders["avg_days_between_orders"] == types.Float64  # double precision
    assert "first_order_date" not in orders  # dates are left out
    category = {
        f.name: f.dtype for f in definitions.feature_views["customer_category_features"].features
    }
    assert category["top_category"] == types.String
    assert definitions.entities["customer"].value_type == ValueType.INT64
    assert definitions.entities["customer"].join_key == "customer_id"
    assert definitions.entities["account"].value_type == ValueType.STRING


def test_one_versioned_service_per_model_spec(duckdb_settings: Settings) -> None:
    definitions = derive_definitions(
        load_feature_models(), MODEL_SPECS, duckdb_settings, FeastOptions()
    )
    assert set(definitions.services) == set(MODEL_SPECS)
    for name, spec in MODEL_SPECS.items():
        service = definitions.services[name]
        assert service.name == service_name(spec) == f"{name}_v1"
        assert [p.name for p in service.feature_view_projections] == list(spec.feature_models)


def test_a_column_added_in_the_dbt_yaml_appears_in_feast(
    tmp_path: Path, duckdb_settings: Settings
) -> None:
    copy = tmp_path / "features"
    shutil.copytree(FEATURES_DIR, copy)
    path = next(copy.rglob("_customers__features.yml"))
    document = yaml.safe_load(path.read_text())
    orders = next(m for m in document["models"] if m["name"] == "customer_order_features")
    orders["columns"].append(
        {"name": "gift_card_share", "data_type": "double precision", "description": "New."}
    )
    path.write_text(yaml.safe_dump(document, sort_keys=False))

    definitions = derive_definitions(
        load_feature_models(copy), MODEL_SPECS, duckdb_settings, FeastOptions()
    )
    view = definitions.feature_views["customer_order_features"]
    assert view.features[-1].name == "gift_card_share"
    assert view.features[-1].description == "New."
    churn = definitions.services["customer_churn"]
    projection = next(
        p for p in churn.feature_view_projections if p.name == "customer_order_features"
    )
    assert "gift_card_share" in [field.name for field in projection.features]


def _model(columns: list[dict], meta: dict | None = None) -> dict:
    feast = {"entity": "customer", "entity_column": "customer_id", "timestamp_column": "as_of_date"}
    return {
        "models": [
            {
                "name": "broken_features",
                "config": {"tags": ["feature"], "meta": {"feast": feast} if meta is None else meta},
                "columns": [
                    {"name": "customer_id", "data_type": "bigint"},
                    {"name": "as_of_date", "data_type": "date"},
                    *columns,
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _model([{"name": "blob", "data_type": "bytea"}]),
            "broken_features.blob: data_type 'bytea'",
        ),
        (_model([{"name": "orders"}]), "column orders has no data_type"),
        (_model([], meta={}), "tagged feature/label but has no meta.feast"),
        (
            _model([], meta={"feast": {"entity": "customer"}}),
            "lacks entity_column, timestamp_column",
        ),
    ],
)
def test_bad_yaml_gives_one_line_naming_the_problem(document: dict, message: str) -> None:
    with pytest.raises(FeatureDefinitionError, match=message):
        parse_documents([("_broken.yml", document)])


def test_models_without_the_feature_tag_are_ignored() -> None:
    document = {"models": [{"name": "customer_profiles", "columns": [{"name": "customer_id"}]}]}
    assert parse_documents([("_marts.yml", document)]) == {}


def test_each_warehouse_gets_its_own_feast_paths(tmp_path: Path) -> None:
    first = Settings(target="duckdb", duckdb_path=tmp_path / "a" / "warehouse.duckdb")
    second = Settings(target="duckdb", duckdb_path=tmp_path / "b" / "warehouse.duckdb")
    one, two = (render_config_dict(s, FeastOptions()) for s in (first, second))
    assert one["registry"]["path"].startswith(
        str((tmp_path / "a" / "artifacts" / "feast").resolve())
    )
    assert one["online_store"]["path"].startswith(str((tmp_path / "a").resolve()))
    assert one["registry"]["path"] != two["registry"]["path"]
    assert one["online_store"]["path"] != two["online_store"]["path"]
    config = repo_config(first, FeastOptions())
    fast = "feature_repo.offline_stores.duckdb_asof.AsofDuckDBOfflineStore"
    assert config.offline_store.type == fast
    stock = render_config_dict(first, replace(FeastOptions(), offline_join="stock"))
    assert stock["offline_store"]["type"] == "duckdb"


def test_postgres_environment_takes_the_password_from_settings_not_the_file(
    tmp_path: Path,
) -> None:
    from feature_repo.config import ENVIRONMENTS_DIR

    settings = Settings(
        target="postgres", pg_password="s3cret-value", pg_database="shop", artifacts_root=tmp_path
    )
    rendered = render_config_dict(settings, FeastOptions())
    assert rendered["offline_store"]["password"] == "s3cret-value"
    assert rendered["online_store"]["db_schema"] == "feast"
    assert rendered["offline_store"]["port"] == 5432
    for path in ENVIRONMENTS_DIR.rglob("feature_store.yaml"):
        text = path.read_text()
        assert "s3cret" not in text
        assert "password: ${CIW_PG_PASSWORD}" in text or "password" not in text
    redis = render_config_dict(settings, replace(FeastOptions(), online_store="redis"))
    assert redis["online_store"]["type"] == "redis"
    assert redis["project"] == "ciw_shop"


def test_unknown_placeholder_and_bad_options_are_reported(monkeypatch) -> None:
    with pytest.raises(SettingsError, match=r"unknown placeholder \$\{NOPE\}"):
        fill_placeholders({"path": "${NOPE}/x"}, {}, "feature_store.yaml")
    monkeypatch.setenv("CIW_FEAST_TTL_DAYS", "soon")
    with pytest.raises(SettingsError, match="CIW_FEAST_TTL_DAYS must be a positive whole number"):
        FeastOptions.from_env()
