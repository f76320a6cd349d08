"""The Postgres environment gives the same training rows as DuckDB, and serves profiles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from feature_repo.offline_stores.point_in_time import SqlRetrievalJob
from tests.feature_repo.conftest import (
    TOY_SPEC,
    day,
    engagement_rows,
    make_gateway,
    order_rows,
    write_tables,
)
from warehouse.settings import Settings

pytestmark = pytest.mark.postgres

LABELS = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 2, 3, 9],
        "as_of_date": [
            day(text)
            for text in (
                "2026-01-20",
                "2026-02-01",
                "2025-12-31",
                "2025-10-20",
                "2026-01-20",
                "2026-01-12",
                "2026-01-12",
            )
        ],
        "is_churned": [False, True, False, False, True, True, False],
    }
)


def _toy_tables() -> dict[str, pd.DataFrame]:
    return {"toy_order_features": order_rows(), "toy_engagement_features": engagement_rows()}


def test_postgres_training_frame_equals_duckdb(
    postgres_settings: Settings, duckdb_settings: Settings, toy_features_dir: Path
) -> None:
    frames = []
    for settings in (duckdb_settings, postgres_settings):
        write_tables(settings, _toy_tables())
        gateway = make_gateway(settings, toy_features_dir)
        gateway.sync()
        frames.append(gateway.training_frame(TOY_SPEC, LABELS))
    on_duckdb, on_postgres = frames
    pd.testing.assert_frame_equal(on_postgres, on_duckdb, check_dtype=False)
    assert on_postgres["orders_30d"].tolist()[:2] == [2, 99]  # the future value stays out
    assert pd.isna(on_postgres.loc[4, "orders_30d"])  # older than the TTL


def test_postgres_online_store_serves_the_profile(
    postgres_settings: Settings, toy_features_dir: Path
) -> None:
    write_tables(postgres_settings, _toy_tables())
    gateway = make_gateway(postgres_settings, toy_features_dir)
    gateway.sync()
    gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC))
    profile = gateway.customer_profile(1)
    assert profile["orders_30d"] == 99
    assert profile["revenue_30d"] == pytest.approx(999.0)
    assert profile == gateway.customer_profile(1, via_service=True)


def test_postgres_project_join_matches_feasts_stock_join(
    postgres_settings: Settings, toy_features_dir: Path
) -> None:
    write_tables(postgres_settings, _toy_tables())
    ours = make_gateway(postgres_settings, toy_features_dir)
    ours.sync()
    stock = make_gateway(postgres_settings, toy_features_dir, offline_join="stock")
    job = ours.store.get_historical_features(
        entity_df=LABELS[["customer_id"]].assign(as_of_date=pd.to_datetime(LABELS["as_of_date"])),
        features=ours.definitions.services[TOY_SPEC.name],
    )
    assert isinstance(job, SqlRetrievalJob)
    assert job.to_sql().count("distinct on") == len(TOY_SPEC.feature_models)
    pd.testing.assert_frame_equal(
        ours.training_frame(TOY_SPEC, LABELS),
        stock.training_frame(TOY_SPEC, LABELS),
        check_dtype=False,
    )
