"""Point-in-time correctness of the customer feature models on a real (temp) DuckDB.

Build features with the run's as-of date L, so that the spine also holds D = 2026-10-19, a grid date
12 days earlier. Then add orders and web sessions dated at D and after it to the raw tables, rebuild
from scratch with the same ``as_of_date``, and compare: every feature row of date D must be the same
(only events strictly before D count; doubles to 1e-9, as parallel sums may add in another order),
while the rows of L must change (the new events do reach later dates, so the test would notice if
nothing were inserted).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ciw.cli import main
from tests.dbt.point_in_time import feature_rows
from tests.dbt.rows import same_rows
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

RUN_AS_OF = "2026-10-31"
CHECKED_AS_OF = "2026-10-19"  # a grid date of the spine (7- and 14-day steps)
FEATURE_MODELS = (
    "customer_order_features",
    "customer_engagement_features",
    "customer_category_features",
)
KEYS = dict.fromkeys(FEATURE_MODELS, "customer_id")
VARS = f"{{as_of_date: {RUN_AS_OF}}}"


def _build_features(settings: Settings, target: Path) -> None:
    run_dbt(["seed", "--select", "identity_merge_approvals"], settings, target_path=target)
    selection = " ".join(f"+{model}" for model in FEATURE_MODELS)
    run_dbt(
        ["run", "--full-refresh", "--select", selection, "--vars", VARS],
        settings,
        target_path=target,
        echo=False,
    )


def _insert_events_at_and_after(warehouse: Path, day: str) -> None:
    """Copies of existing orders and sessions, re-dated to `day` 00:00 and three days later."""
    with duckdb.connect(str(warehouse)) as connection:
        for offset_days, id_offset in ((0, 900_000_000), (3, 950_000_000)):
            moment = f"cast('{day}' as timestamp) + interval {offset_days} day"
            connection.execute(
                f"""
                insert into raw_commerce.orders
                select * replace (order_id + {id_offset} as order_id, {moment} as ordered_at)
                from raw_commerce.orders
                where order_id is not null and customer_id is not null
                order by order_id
                limit 200
                """
            )
            connection.execute(
                f"""
                insert into raw_commerce.web_sessions
                select * replace (
                    session_id || '-leak{offset_days}' as session_id,
                    {moment} as started_at,
                    {moment} + interval 10 minute as ended_at
                )
                from raw_commerce.web_sessions
                where session_id is not null and customer_id is not null
                order by session_id
                limit 200
                """
            )


def test_features_of_a_date_ignore_events_at_and_after_it(
    cli_duckdb_settings: Settings, tmp_path: Path
) -> None:
    settings = cli_duckdb_settings
    warehouse = settings.duckdb_path
    target = tmp_path / "dbt_target"
    exports = tmp_path / "exports"
    assert (
        main(
            [
                "generate",
                "--customers",
                "300",
                "--seed",
                "11",
                "--end-date",
                RUN_AS_OF,
                "--out",
                str(exports),
            ]
        )
        == 0
    )
    assert main(["load", str(exports), "--max-bad-share", "0.5"]) == 0

    _build_features(settings, target)
    checked_before = feature_rows(warehouse, KEYS, CHECKED_AS_OF)
    latest_before = feature_rows(warehouse, KEYS, RUN_AS_OF)
    assert all(checked_before[model] for model in FEATURE_MODELS), "no feature rows at D"

    _insert_events_at_and_after(warehouse, CHECKED_AS_OF)
    _build_features(settings, target)

    checked_after = feature_rows(warehouse, KEYS, CHECKED_AS_OF)
    for model in FEATURE_MODELS:
        assert same_rows(checked_after[model], checked_before[model]), f"{model} leaked"
    latest_after = feature_rows(warehouse, KEYS, RUN_AS_OF)
    assert latest_after["customer_order_features"] != latest_before["customer_order_features"]
    assert (
        latest_after["customer_engagement_features"]
        != latest_before["customer_engagement_features"]
    )
