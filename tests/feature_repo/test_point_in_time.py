"""Point-in-time correctness of training frames built through Feast (DuckDB, tiny tables)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from feature_repo.offline_stores.duckdb_asof import AsofDuckDBOfflineStore
from feature_repo.offline_stores.point_in_time import SqlRetrievalJob
from feature_repo.store import FeatureStoreError, FeatureStoreGateway
from tests.feature_repo.conftest import TOY_SPEC, day, make_gateway


def label_rows(*rows: tuple[int, str, bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [row[0] for row in rows],
            "as_of_date": [day(row[1]) for row in rows],
            "is_churned": [row[2] for row in rows],
        }
    )


def test_a_feature_dated_after_the_label_never_reaches_the_training_row(
    toy_gateway: FeatureStoreGateway,
) -> None:
    # Customer 1 has orders_30d = 99 dated 2026-02-01, after the label date 2026-01-20.
    frame = toy_gateway.training_frame(TOY_SPEC, label_rows((1, "2026-01-20", False)))

    row = frame.iloc[0]
    assert row["orders_30d"] == 2
    assert row["top_category"] == "toys"
    assert 99 not in frame["orders_30d"].tolist()
    assert "future" not in frame["top_category"].tolist()


def test_a_feature_dated_on_the_label_date_counts(toy_gateway: FeatureStoreGateway) -> None:
    # Feature rows at an as-of date only use events strictly before it, so they may be used.
    frame = toy_gateway.training_frame(TOY_SPEC, label_rows((1, "2026-02-01", True)))
    assert frame.iloc[0]["orders_30d"] == 99


def test_a_value_older_than_the_ttl_is_not_used(toy_gateway: FeatureStoreGateway) -> None:
    # Customer 2's only row is dated 2025-10-01; the TTL is 30 days.
    frame = toy_gateway.training_frame(
        TOY_SPEC, label_rows((2, "2025-10-20", False), (2, "2026-01-20", True))
    )
    within, beyond = frame.iloc[0], frame.iloc[1]
    assert within["orders_30d"] == 7
    assert math.isnan(beyond["orders_30d"])
    assert beyond["top_category"] is None or pd.isna(beyond["top_category"])


def test_rows_are_kept_in_order_with_labels_and_missing_views_give_nan(
    toy_gateway: FeatureStoreGateway,
) -> None:
    rows = label_rows(
        (3, "2026-01-20", True),  # engagement only
        (1, "2026-01-12", False),  # both views
        (9, "2026-01-12", True),  # unknown customer
        (1, "2026-01-12", False),  # duplicate entity row
    )
    frame = toy_gateway.training_frame(TOY_SPEC, rows)

    assert len(frame) == len(rows)
    assert frame["customer_id"].tolist() == [3, 1, 9, 1]
    assert frame["is_churned"].tolist() == [True, False, True, False]
    assert math.isnan(frame.loc[0, "orders_30d"]) and frame.loc[0, "sessions_30d"] == 5
    assert frame.loc[1, "orders_30d"] == 1 and frame.loc[1, "sessions_30d"] == 4
    assert frame.loc[2, ["orders_30d", "sessions_30d"]].isna().all()
    assert frame.loc[3, "revenue_30d"] == pytest.approx(10.5)
    # Unprefixed feature names as in dbt, dates left out, nothing else added.
    assert list(frame.columns) == [
        "customer_id",
        "as_of_date",
        "is_churned",
        "orders_30d",
        "revenue_30d",
        "top_category",
        "sessions_30d",
        "is_active",
    ]


def test_the_project_join_matches_feasts_stock_join(
    toy_gateway: FeatureStoreGateway, toy_features_dir
) -> None:
    stock = make_gateway(toy_gateway.settings, toy_features_dir, offline_join="stock")
    rows = label_rows(
        (1, "2025-12-31", False),
        (1, "2026-01-01", False),
        (1, "2026-01-31", True),
        (1, "2026-03-10", True),
        (2, "2025-10-31", False),
        (2, "2025-11-01", True),
        (3, "2026-01-10", False),
    )
    ours = toy_gateway.training_frame(TOY_SPEC, rows)
    theirs = stock.training_frame(TOY_SPEC, rows)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    assert ours["orders_30d"].notna().sum() == 3  # the rows within 30 days of a feature row


def test_the_project_join_is_the_one_that_runs(toy_gateway: FeatureStoreGateway) -> None:
    rows = pd.DataFrame({"customer_id": [1], "as_of_date": pd.to_datetime(["2026-01-20"])})
    service = toy_gateway.definitions.services[TOY_SPEC.name]

    job = toy_gateway.store.get_historical_features(entity_df=rows, features=service)

    assert isinstance(job, SqlRetrievalJob)
    assert job.to_sql().count("asof left join") == len(TOY_SPEC.feature_models)
    assert job.to_df()["orders_30d"].tolist() == [2]


def test_sources_the_project_join_cannot_read_go_to_stock_feast() -> None:
    from feast import Entity, FeatureView, Field, FileSource, ValueType
    from feast.types import Int64

    def view(path: str = "toy.parquet", **source: str) -> FeatureView:
        return FeatureView(
            name="toy",
            entities=[
                Entity(name="customer", join_keys=["customer_id"], value_type=ValueType.INT64)
            ],
            schema=[Field(name="orders_30d", dtype=Int64)],
            source=FileSource(path=path, timestamp_field="as_of_ts", **source),
        )

    assert AsofDuckDBOfflineStore.handles([view()])
    assert not AsofDuckDBOfflineStore.handles([view(created_timestamp_column="loaded_at")])
    assert not AsofDuckDBOfflineStore.handles([view(), view(path="s3://bucket/toy.parquet")])
    assert not AsofDuckDBOfflineStore.handles([view(path="toy.csv")])


def test_bad_entity_rows_give_one_clear_line(toy_gateway: FeatureStoreGateway) -> None:
    with pytest.raises(ValueError, match=r"lack column\(s\) as_of_date"):
        toy_gateway.training_frame(TOY_SPEC, pd.DataFrame({"customer_id": [1]}))
    with pytest.raises(ValueError, match="customer_id must hold Int64 ids"):
        toy_gateway.training_frame(
            TOY_SPEC, pd.DataFrame({"customer_id": ["x"], "as_of_date": [day("2026-01-01")]})
        )


def test_training_before_sync_says_what_to_do(toy_warehouse, toy_features_dir) -> None:
    gateway = make_gateway(toy_warehouse, toy_features_dir)
    with pytest.raises(FeatureStoreError, match=r"call FeatureStoreGateway.sync\(\)"):
        gateway.training_frame(TOY_SPEC, label_rows((1, "2026-01-20", False)))


def test_scoring_frame_takes_the_latest_date_on_or_before_the_given_one(
    toy_gateway: FeatureStoreGateway,
) -> None:
    frame = toy_gateway.scoring_frame(TOY_SPEC, day("2026-01-20"))
    assert frame["as_of_date"].tolist() == [day("2026-01-15")]
    assert frame["customer_id"].tolist() == [1]
    assert frame["orders_30d"].tolist() == [2]
    assert frame["sessions_30d"].tolist() == [4]  # engagement row of 2026-01-10, within TTL
    assert "is_churned" not in frame.columns
