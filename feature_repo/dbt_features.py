"""Read the dbt feature and label models' YAML: the single definition of every feature.

A model is a Feast source when its config has the tag ``feature`` (or ``label``) and
``meta.feast`` names its entity, entity column and timestamp column. Every documented column
other than the entity and timestamp column is a feature; its dbt ``data_type`` decides the Feast
type. Date and timestamp columns (``first_order_date``, ...) are left out of Feast: models
cannot use raw dates, and the day counts derived from them (``recency_days``,
``tenure_days``) are features already.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from warehouse.paths import DBT_PROJECT_DIR

FEATURES_DIR = DBT_PROJECT_DIR / "models" / "features"

FeastType = Literal["Int64", "Float64", "Bool", "String"]

#: dbt data_type (lower case, without precision) -> Feast value type.
_FEAST_TYPES: dict[str, FeastType | None] = {
    **dict.fromkeys(("smallint", "integer", "int", "int2", "int4", "bigint", "int8"), "Int64"),
    **dict.fromkeys(
        ("numeric", "decimal", "double precision", "double", "float", "float8", "real", "float4"),
        "Float64",
    ),
    **dict.fromkeys(("boolean", "bool"), "Bool"),
    **dict.fromkeys(("varchar", "text", "string", "character varying"), "String"),
    # Dates are described by the day counts derived from them; see the module docstring.
    **dict.fromkeys(("date", "timestamp", "timestamptz", "timestamp with time zone"), None),
}


class FeatureDefinitionError(ValueError):
    """The dbt YAML of a feature model cannot be turned into Feast definitions."""


@dataclass(frozen=True)
class FeatureColumn:
    name: str
    dbt_type: str
    feast_type: FeastType
    description: str


@dataclass(frozen=True)
class FeatureModel:
    """One dbt model tagged ``feature`` or ``label`` with its Feast metadata."""

    name: str
    entity: str
    entity_column: str
    entity_type: FeastType
    timestamp_column: str
    description: str
    is_label: bool
    #: Feature columns in YAML order (entity, timestamp and date columns excluded).
    columns: tuple[FeatureColumn, ...]

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def feast_type_of(dbt_type: str, where: str) -> FeastType | None:
    """The Feast type for a dbt ``data_type``; None for dates (left out on purpose)."""
    base = re.sub(r"\(.*\)", "", dbt_type).strip().lower()
    if base not in _FEAST_TYPES:
        known = ", ".join(sorted(_FEAST_TYPES))
        raise FeatureDefinitionError(
            f"{where}: data_type {dbt_type!r} has no Feast type (known: {known})"
        )
    return _FEAST_TYPES[base]


def parse_model(node: Mapping[str, Any], source_file: str = "") -> FeatureModel | None:
    """One model entry of a dbt YAML file, or None when it is not a Feast source."""
    name = str(node.get("name", ""))
    config = node.get("config") or {}
    tags = set(config.get("tags") or node.get("tags") or [])
    if not tags & {"feature", "label"}:
        return None
    where = f"{source_file}: model {name}" if source_file else f"model {name}"
    feast_meta = (config.get("meta") or node.get("meta") or {}).get("feast")
    if not isinstance(feast_meta, Mapping):
        raise FeatureDefinitionError(f"{where}: tagged feature/label but has no meta.feast")
    missing = [
        key for key in ("entity", "entity_column", "timestamp_column") if key not in feast_meta
    ]
    if missing:
        raise FeatureDefinitionError(f"{where}: meta.feast lacks {', '.join(missing)}")
    entity_column = str(feast_meta["entity_column"])
    timestamp_column = str(feast_meta["timestamp_column"])

    types: dict[str, str] = {}
    columns: list[FeatureColumn] = []
    for column in node.get("columns") or []:
        column_name = str(column["name"])
        dbt_type = column.get("data_type")
        if not dbt_type:
            raise FeatureDefinitionError(f"{where}: column {column_name} has no data_type")
        types[column_name] = str(dbt_type)
        if column_name in (entity_column, timestamp_column):
            continue
        feast_type = feast_type_of(str(dbt_type), f"{where}.{column_name}")
        if feast_type is not None:
            description = " ".join(str(column.get("description", "")).split())
            columns.append(FeatureColumn(column_name, str(dbt_type), feast_type, description))
    for required in (entity_column, timestamp_column):
        if required not in types:
            raise FeatureDefinitionError(f"{where}: column {required} is not documented")
    entity_type = feast_type_of(types[entity_column], f"{where}.{entity_column}")
    if entity_type not in ("Int64", "String"):
        raise FeatureDefinitionError(
            f"{where}: entity column {entity_column} must be an integer or varchar"
        )
    return FeatureModel(
        name=name,
        entity=str(feast_meta["entity"]),
        entity_column=entity_column,
        entity_type=entity_type,
        timestamp_column=timestamp_column,
        description=" ".join(str(node.get("description", "")).split()),
        is_label="label" in tags and "feature" not in tags,
        columns=tuple(columns),
    )


def parse_documents(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, FeatureModel]:
    """Feature and label models of several parsed YAML documents, by model name."""
    models: dict[str, FeatureModel] = {}
    for source_file, document in documents:
        for node in (document or {}).get("models") or []:
            model = parse_model(node, source_file)
            if model is None:
                continue
            if model.name in models:
                raise FeatureDefinitionError(f"{source_file}: model {model.name} defined twice")
            models[model.name] = model
    _check_entities_agree(models.values())
    return models


def load_feature_models(features_dir: Path = FEATURES_DIR) -> dict[str, FeatureModel]:
    """Every feature and label model documented under ``features_dir`` (the dbt YAML)."""
    if not features_dir.is_dir():
        raise FeatureDefinitionError(f"no dbt features folder at {features_dir}")
    documents = []
    for path in sorted([*features_dir.rglob("*.yml"), *features_dir.rglob("*.yaml")]):
        try:
            documents.append((str(path.name), yaml.safe_load(path.read_text()) or {}))
        except yaml.YAMLError as error:
            first_line = str(error).strip().splitlines()[0]
            raise FeatureDefinitionError(f"{path}: not valid YAML: {first_line}") from None
    return parse_documents(documents)


def _check_entities_agree(models: Iterable[FeatureModel]) -> None:
    """One entity has one join key and one key type across every model that names it."""
    seen: dict[str, tuple[str, str, str]] = {}
    for model in models:
        key = (model.entity_column, model.entity_type, model.name)
        first = seen.setdefault(model.entity, key)
        if first[:2] != key[:2]:
            raise FeatureDefinitionError(
                f"entity {model.entity}: {first[2]} uses {first[0]} ({first[1]}) but "
                f"{model.name} uses {key[0]} ({key[1]})"
            )
