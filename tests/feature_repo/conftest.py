"""Tiny feature models for the Feast tests, written straight into a warehouse.

The dbt YAML of two toy customer feature models goes to a temp folder, and their rows are
written as plain tables in schema ``features`` of a DuckDB file or a throwaway Postgres
database: the tests exercise Feast on a few hand-picked rows without running dbt.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from feature_repo.config import FeastOptions
from feature_repo.store import FeatureStoreGateway
from ml.contracts import ModelSpec
from warehouse.settings import Settings

TOY_YAML = """
version: 2
models:
  - name: toy_order_features
    description: Toy order features, one row per customer per as-of date.
    config:
      tags: [feature, customer]
      meta: {feast: {entity: customer, entity_column: customer_id, timestamp_column: as_of_date}}
    columns:
      - {name: customer_id, data_type: bigint, description: Customer.}
      - {name: as_of_date, data_type: date, description: As-of date.}
      - {name: orders_30d, data_type: integer, description: Orders in 30 days.}
      - {name: revenue_30d, data_type: "numeric(18,2)", description: Revenue in 30 days.}
      - {name: top_category, data_type: varchar, description: Top category.}
      - {name: first_order_date, data_type: date, description: First order day.}
  - name: toy_engagement_features
    description: Toy engagement features.
    config:
      tags: [feature, customer]
      meta: {feast: {entity: customer, entity_column: customer_id, timestamp_column: as_of_date}}
    columns:
      - {name: customer_id, data_type: bigint, description: Customer.}
      - {name: as_of_date, data_type: date, description: As-of date.}
      - {name: sessions_30d, data_type: integer, description: Sessions in 30 days.}
      - {name: is_active, data_type: boolean, description: Any session in 30 days.}
"""

TOY_SPEC = ModelSpec(
    name="toy_churn",
    entity="customer",
    entity_column="customer_id",
    kind="classifier",
    feature_models=("toy_order_features", "toy_engagement_features"),
)
TOY_SPECS = {TOY_SPEC.name: TOY_SPEC}
TTL = timedelta(days=30)


def day(text: str) -> date:
    return date.fromisoformat(text)


def order_rows() -> pd.DataFrame:
    """Customer 1: three dated rows; customer 2: one old row; customer 3: none."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "as_of_date": [
                day("2026-01-01"),
                day("2026-01-15"),
                day("2026-02-01"),
                day("2025-10-01"),
            ],
            "orders_30d": [1, 2, 99, 7],
            "revenue_30d": [10.5, 20.25, 999.0, 70.0],
            "top_category": ["books", "toys", "future", "garden"],
            "first_order_date": [day("2025-12-01")] * 3 + [day("2025-09-01")],
        }
    )


def engagement_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 3],
            "as_of_date": [day("2026-01-10"), day("2026-01-10")],
            "sessions_30d": [4, 5],
            "is_active": [True, False],
        }
    )


def write_duckdb_tables(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    from warehouse.connections import connect_duckdb

    with connect_duckdb(settings) as duck:
        duck.execute("create schema if not exists features")
        for name, frame in tables.items():
            duck.register("incoming", frame)
            duck.execute(f"create or replace table features.{name} as select * from incoming")
            duck.unregister("incoming")


_PG_TYPES = {"int64": "bigint", "float64": "numeric(18,2)", "bool": "boolean"}


def _postgres_type(column: str, kind: str) -> str:
    return "date" if column.endswith("date") else _PG_TYPES.get(kind, "text")


def write_postgres_tables(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    from warehouse.connections import connect_postgres

    with connect_postgres(settings) as postgres, postgres.cursor() as cursor:
        cursor.execute("create schema if not exists features")
        for name, frame in tables.items():
            columns = ", ".join(
                f"{column} {_postgres_type(column, str(kind))}"
                for column, kind in frame.dtypes.items()
            )
            cursor.execute(f"drop table if exists features.{name}")
            cursor.execute(f"create table features.{name} ({columns})")
            placeholders = ", ".join(["%s"] * len(frame.columns))
            cursor.executemany(
                f"insert into features.{name} values ({placeholders})",
                [tuple(row) for row in frame.astype(object).itertuples(index=False)],
            )
        postgres.commit()


def write_tables(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    if settings.target == "duckdb":
        write_duckdb_tables(settings, tables)
    else:
        write_postgres_tables(settings, tables)


def write_toy_features_dir(parent: Path) -> Path:
    """A dbt features folder holding only the toy feature YAML."""
    folder = parent / "dbt_features"
    folder.mkdir()
    (folder / "_toy__features.yml").write_text(TOY_YAML)
    return folder


@pytest.fixture
def toy_features_dir(tmp_path: Path) -> Path:
    return write_toy_features_dir(tmp_path)


def make_gateway(
    settings: Settings, features_dir: Path, offline_join: str = "fast"
) -> FeatureStoreGateway:
    options = replace(FeastOptions(), ttl=TTL, offline_join=offline_join)  # type: ignore[arg-type]
    return FeatureStoreGateway(settings, options, features_dir=features_dir, specs=TOY_SPECS)


@pytest.fixture
def toy_warehouse(duckdb_settings: Settings) -> Settings:
    write_tables(
        duckdb_settings,
        {"toy_order_features": order_rows(), "toy_engagement_features": engagement_rows()},
    )
    return duckdb_settings


@pytest.fixture
def toy_gateway(toy_warehouse: Settings, toy_features_dir: Path) -> FeatureStoreGateway:
    gateway = make_gateway(toy_warehouse, toy_features_dir)
    gateway.sync()
    return gateway
