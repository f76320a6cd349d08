"""The benchmark's hand-written joins agree with Feast on the toy rows (DuckDB and Postgres).

A second, independent check of point-in-time correctness: plain SQL (ASOF on DuckDB,
DISTINCT ON on Postgres) written without Feast gives the same feature values.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.feature_store import bench_training_set, hand_written_training_set
from feature_repo.config import FeastOptions
from tests.feature_repo.conftest import (
    TOY_SPEC,
    TOY_SPECS,
    TTL,
    day,
    engagement_rows,
    make_gateway,
    order_rows,
    write_tables,
)
from warehouse.settings import Settings

ROWS = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 2, 3, 9],
        "as_of_date": [
            day(text)
            for text in (
                "2025-12-31",
                "2026-01-20",
                "2026-02-01",
                "2025-10-20",
                "2026-01-20",
                "2026-01-12",
                "2026-01-12",
            )
        ],
    }
)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def toy_settings(request: pytest.FixtureRequest) -> Settings:
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    write_tables(
        settings,
        {"toy_order_features": order_rows(), "toy_engagement_features": engagement_rows()},
    )
    return settings


def test_hand_written_join_equals_the_feast_training_frame(
    toy_settings: Settings, toy_features_dir: Path
) -> None:
    gateway = make_gateway(toy_settings, toy_features_dir)
    gateway.sync()
    through_feast = gateway.training_frame(TOY_SPEC, ROWS)
    by_hand = hand_written_training_set(gateway, TOY_SPEC, ROWS)
    by_hand["as_of_date"] = pd.to_datetime(by_hand["as_of_date"]).dt.date
    by_hand = by_hand.sort_values(["customer_id", "as_of_date"]).reset_index(drop=True)
    expected = through_feast.sort_values(["customer_id", "as_of_date"]).reset_index(drop=True)
    features = gateway.feature_names(TOY_SPEC)
    pd.testing.assert_frame_equal(_plain(by_hand[features]), _plain(expected[features]))
    assert expected["orders_30d"].tolist()[1:4] == [2, 99, 7]  # the rest: none in time


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects with None for missing: NA, NaN and None compare equal."""
    return frame.astype(object).where(frame.notna(), None)


def test_bench_training_set_reports_equal_row_counts(
    toy_settings: Settings, toy_features_dir: Path
) -> None:
    figures = bench_training_set(
        toy_settings,
        TOY_SPEC,
        ROWS,
        options=replace(FeastOptions(), ttl=TTL),
        features_dir=toy_features_dir,
        specs=TOY_SPECS,
    )
    assert figures["rows_feast"] == figures["rows_hand_written"] == figures["rows_feast_stock"]
    assert figures["rows_feast"] == len(ROWS)
    assert figures["feast_seconds"] > 0 and figures["feast_vs_hand_written"] > 0
