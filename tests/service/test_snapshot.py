"""Publishing the marts for the service: a snapshot file replaced atomically, the profiles'
SQLite rows, and readers that pick up a newer snapshot; on a small DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from service.profiles import ProfileExtras, profiles_path
from service.reader import MartsReader, snapshot_path
from service.routers.customers import build_profile
from service.snapshot import publish_after_run, publish_snapshot
from warehouse.settings import Settings

SCORES = """
create table marts.customer_risk_scores as select
    100001 as customer_id, date '2026-10-30' as as_of_date, {churn} as churn_probability,
    0.5 as churn_probability_lower, 0.95 as churn_probability_upper, 'high' as churn_risk_band,
    90 as churn_horizon_days, 120.5 as predicted_revenue, 80.0 as predicted_revenue_lower,
    160.0 as predicted_revenue_upper, 180 as clv_horizon_days, 'At risk' as segment_name,
    'recency_days' as churn_factor_1_name, 0.4 as churn_factor_1_contribution,
    'orders_90d' as churn_factor_2_name, 0.2 as churn_factor_2_contribution,
    null as churn_factor_3_name, null as churn_factor_3_contribution,
    'v1' as churn_model_version, timestamp '2026-10-31 06:00:00' as scored_at
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(
        target="duckdb", duckdb_path=tmp_path / "w.duckdb", artifacts_root=tmp_path / "a"
    )
    with duckdb.connect(str(settings.duckdb_path)) as duck:
        duck.execute("create schema marts")
        duck.execute(SCORES.format(churn=0.9))
        duck.execute(
            "create table marts.customer_journey as select 100001 as customer_id,"
            " date '2026-10-30' as as_of_date, 'lapsing' as journey_stage,"
            " 'win_back_offer' as next_best_action, 'No order in 120 days' as"
            " next_best_action_reason"
        )
        duck.execute(
            "create table marts.lead_scores as select 'L1' as lead_id, 'USR1' as owner_user_id"
        )
    return settings


def test_publishing_writes_the_marts_extras_and_profiles(settings: Settings) -> None:
    path = publish_snapshot(settings, run_id="run-1")
    assert path == snapshot_path(settings) and path.exists()
    assert not list(path.parent.glob(".*.tmp"))  # nothing half-written left behind
    reader = MartsReader(settings)
    assert reader.rows("select lead_id from marts.lead_scores") == [{"lead_id": "L1"}]
    assert reader.has_table("marts.customer_journey")
    assert not reader.has_table("marts.account_health")  # absent marts are skipped
    assert reader.published_at() is not None
    row = ProfileExtras(settings).get(100001)
    assert row is not None and row["journey_stage"] == "lapsing"
    assert ProfileExtras(settings).get(5) is None
    profile = build_profile(100001, {"customer_id": 100001, "orders_90d": 2}, row)
    assert profile["churn"]["lower"] == 0.5 and profile["churn"]["band"] == "high"
    assert [factor["name"] for factor in profile["top_factors"]] == ["recency_days", "orders_90d"]
    assert profile["next_best_action"]["action"] == "win_back_offer"
    assert profile["features"] == {"orders_90d": 2}
    reader.close()


def test_a_reader_moves_to_a_newer_snapshot(settings: Settings) -> None:
    publish_snapshot(settings)
    reader = MartsReader(settings, check_seconds=0.0)
    extras = ProfileExtras(settings, check_seconds=0.0)
    first = reader.rows(
        "select churn_probability::double as churn_probability from marts.customer_risk_scores"
    )
    assert first[0]["churn_probability"] == pytest.approx(0.9)
    with duckdb.connect(str(settings.duckdb_path)) as duck:
        duck.execute("drop table marts.customer_risk_scores")
        duck.execute(SCORES.format(churn=0.2))
    publish_snapshot(settings)
    second = reader.rows(
        "select churn_probability::double as churn_probability from marts.customer_risk_scores"
    )
    assert second[0]["churn_probability"] == pytest.approx(0.2)
    row = extras.get(100001)
    assert row is not None and row["churn_probability"] == pytest.approx(0.2)
    assert profiles_path(settings).exists()
    reader.close()


def test_a_failed_publication_never_fails_the_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the artifacts folder should be")
    settings = Settings(target="duckdb", duckdb_path=tmp_path / "w.duckdb", artifacts_root=blocked)
    publish_after_run(settings, "run-x")
    assert "could not publish" in caplog.text
