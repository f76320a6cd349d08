"""The model registry on Spark: the same versions, statuses and events as on DuckDB through a
registration, a better challenger crowned, a manual promotion and a rollback. Spark's Parquet
tables take no UPDATE, so a status change rewrites the (small) registry table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.ml.registry_candidates import make_candidate, png_bytes, training_frame
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

MODEL = "customer_churn"


def _story(registry: Any) -> dict[str, Any]:
    """Register A, then a better B (crowned), promote A by hand, roll back (B again)."""
    frame, plot = training_frame(), png_bytes()
    first, crowned_first = registry.register(make_candidate(frame, plot, metric=0.70, c=1.0))
    second, crowned_second = registry.register(make_candidate(frame, plot, metric=0.80, c=0.5))
    champions = [registry.champion(MODEL).version]
    registry.promote(MODEL, first.version)
    champions.append(registry.champion(MODEL).version)
    registry.rollback(MODEL)
    champions.append(registry.champion(MODEL).version)
    return {
        "crowned": (crowned_first, crowned_second),
        "champions": champions,
        "versions": sorted(
            (version.version, version.status, version.promoted_at is not None)
            for version in registry.versions(MODEL)
        ),
        "events": [
            (row["event"], row["version"], row["previous_champion"], row["reason"])
            for row in registry.history(MODEL)
        ],
        "ids": (first.version, second.version),
    }


@contextmanager
def pipeline_registry_set_aside(spark: Settings) -> Iterator[None]:
    """The build's pipeline run registered and crowned models on Spark: its two registry
    tables are renamed for the story, which starts from none, and renamed back after."""
    from ml.registry.store import EVENTS_TABLE
    from warehouse.adapters import adapter_for

    tables = ("ml.model_registry", f"ml.{EVENTS_TABLE}")
    with adapter_for(spark).session() as session:
        for table in tables:
            session.execute(f"alter table {table} rename to {table}_pipeline")
    try:
        yield
    finally:
        with adapter_for(spark).session() as session:
            for table in tables:
                session.execute(f"drop table if exists {table}")
                session.execute(f"alter table {table}_pipeline rename to {table}")


def test_the_registry_on_spark_tells_the_same_story_as_on_duckdb(
    both_warehouses: dict[str, Any], tmp_path: Path
) -> None:
    from ml.registry import ModelRegistry

    spark_settings: Settings = both_warehouses["settings"]["spark"]
    on_duckdb = _story(ModelRegistry(Settings(target="duckdb", duckdb_path=tmp_path / "r.duckdb")))
    with pipeline_registry_set_aside(spark_settings):
        on_spark = _story(ModelRegistry(spark_settings, root=tmp_path / "spark_registry"))

    first, second = on_spark["ids"]
    assert on_spark["crowned"] == (True, True)
    assert on_spark["champions"] == [second, first, second]
    assert on_spark == on_duckdb
