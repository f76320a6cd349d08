"""Materialization, pushed scores and the online profile (DuckDB warehouse, SQLite online)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd
import pytest

from feature_repo.store import FeatureStoreGateway, UnknownCustomer


def scores(*rows: tuple[int, float, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [row[0] for row in rows],
            "churn_probability": [row[1] for row in rows],
            "churn_risk_band": ["high" if row[1] > 0.6 else "low" for row in rows],
            "predicted_revenue": [100.0 * row[1] for row in rows],
            "clv_horizon_days": [180] * len(rows),
            "segment_name": ["Champions"] * len(rows),
            "scored_at": [pd.Timestamp(row[2], tz="UTC") for row in rows],
        }
    )


def test_materialize_serves_the_latest_values_within_the_ttl(
    toy_gateway: FeatureStoreGateway,
) -> None:
    assert toy_gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC)) == 2

    profile = toy_gateway.customer_profile(1)
    assert profile["customer_id"] == 1
    assert profile["orders_30d"] == 99  # latest row, 2026-02-01
    assert profile["top_category"] == "future"
    assert profile["revenue_30d"] == pytest.approx(999.0)
    assert profile["sessions_30d"] is None  # 2026-01-10 is older than the 30-day TTL
    assert profile["churn_probability"] is None  # no scores pushed yet
    with pytest.raises(UnknownCustomer, match="customer 2 has no online features"):
        toy_gateway.customer_profile(2)  # its only row (2025-10-01) is far older than the TTL


def test_pushed_scores_join_the_profile_latest_first(toy_gateway: FeatureStoreGateway) -> None:
    toy_gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC))
    toy_gateway.push_scores(
        scores(
            (1, 0.9, "2026-02-10 06:00"),
            (1, 0.2, "2026-02-09 06:00"),  # older score of the same customer: ignored
            (2, 0.4, "2026-02-10 06:00"),
        )
    )
    one = toy_gateway.customer_profile(1)
    assert one["churn_probability"] == pytest.approx(0.9)
    assert one["churn_risk_band"] == "high"
    assert one["clv_horizon_days"] == 180
    assert one["segment_name"] == "Champions"
    assert pd.Timestamp(one["scored_at"]) == pd.Timestamp("2026-02-10 06:00", tz="UTC")
    assert one["orders_30d"] == 99
    two = toy_gateway.customer_profile(2)  # known through its scores only
    assert two["churn_probability"] == pytest.approx(0.4)
    assert two["orders_30d"] is None


def test_the_fast_profile_read_equals_feasts_get_online_features(
    toy_gateway: FeatureStoreGateway,
) -> None:
    toy_gateway.materialize(datetime(2026, 1, 20, tzinfo=UTC))
    toy_gateway.push_scores(scores((1, 0.7, "2026-01-20 06:00")))
    fast = toy_gateway.customer_profile(1)
    reference = toy_gateway.customer_profile(1, via_service=True)
    assert fast == reference
    assert fast["sessions_30d"] == 4 and fast["orders_30d"] == 2


def test_push_scores_names_missing_columns(toy_gateway: FeatureStoreGateway) -> None:
    with pytest.raises(ValueError, match="scores lack column"):
        toy_gateway.push_scores(scores((1, 0.5, "2026-01-20")).drop(columns=["segment_name"]))


def test_scores_with_missing_values_are_pushed_as_nulls(toy_gateway: FeatureStoreGateway) -> None:
    frame = scores((1, 0.3, "2026-01-20 06:00"), (3, 0.5, "2026-01-20 06:00"))
    frame["predicted_revenue"] = [None, 12.5]
    frame["clv_horizon_days"] = [None, 180]
    frame["segment_name"] = [None, "At risk"]
    frame["scored_at"] = frame["scored_at"].dt.tz_localize(None)  # naive = UTC, as marts give it
    toy_gateway.push_scores(frame)
    one = toy_gateway.customer_profile(1)
    assert one["churn_probability"] == pytest.approx(0.3)
    assert one["predicted_revenue"] is None or math.isnan(one["predicted_revenue"])
    assert one["clv_horizon_days"] is None and one["segment_name"] is None
    three = toy_gateway.customer_profile(3)
    assert (three["clv_horizon_days"], three["segment_name"]) == (180, "At risk")


def test_a_later_materialization_starts_where_the_last_one_ended(
    toy_gateway: FeatureStoreGateway,
) -> None:
    toy_gateway.materialize(datetime(2026, 1, 20, tzinfo=UTC))
    assert toy_gateway.customer_profile(1)["orders_30d"] == 2
    toy_gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC))  # incremental: Jan 20 .. Feb 10
    assert toy_gateway.customer_profile(1)["orders_30d"] == 99
    for view in toy_gateway.definitions.feature_views.values():
        last = toy_gateway.store.get_feature_view(view.name).most_recent_end_time
        assert last is not None and last.replace(tzinfo=UTC) == datetime(2026, 2, 10, tzinfo=UTC)
