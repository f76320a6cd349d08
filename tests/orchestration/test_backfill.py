"""``ciw backfill``: each day of the range is that day's partition of the daily pipeline, and a
day that already ran runs again without delivering its alerts a second time."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.built import BuiltWarehouse

#: A day the built warehouse never ran.
NEW_DAY = dt.date(2026, 11, 1)


def private_copy(built: BuiltWarehouse, root: Path) -> BuiltWarehouse:
    """The built DuckDB warehouse, its artifacts and its Dagster history, copied under ``root``:
    a backfill rewrites the point-in-time tables that other tests read."""
    source = built.settings
    shutil.copytree(source.artifacts_dir, root / "artifacts")
    shutil.copytree(built.env["DAGSTER_HOME"], root / "dagster_home")
    shutil.copy(source.duckdb_path, root / "warehouse.duckdb")
    settings = replace(
        source, duckdb_path=root / "warehouse.duckdb", artifacts_root=root / "artifacts"
    )
    env = {
        **built.env,
        **settings.dbt_env(),
        "CIW_ARTIFACTS_DIR": str(settings.artifacts_dir),
        "CIW_DBT_TARGET_PATH": str(root / "dbt_target"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    return replace(built, settings=settings, env=env, slack_messages=[])


def test_backfill_runs_each_days_partition_and_a_rerun_delivers_nothing_again(
    built_duckdb: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ciw.backfill_cli import run_backfill
    from orchestration.instance import open_instance
    from tests.notifier.slack_standin import SlackStandIn, alert_deliveries

    warehouse = private_copy(built_duckdb, tmp_path)
    warehouse.apply_env(monkeypatch)
    # The built run's own day (its partition) comes last: the whole daily pipeline again.
    built_day = warehouse.scalar("select max(as_of_date) from ml.predictions")
    days = [NEW_DAY, built_day]
    assert built_day > NEW_DAY
    slack = SlackStandIn().start()  # the same workspace and channel the built run delivered to
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    try:
        assert run_backfill(warehouse.settings, days) == []
    finally:
        slack.stop()

    # Every day of the range is scored as of that day, by every model that scores customers.
    scored = warehouse.query(
        "select model_name, as_of_date from ml.predictions where as_of_date in "
        f"(cast('{NEW_DAY}' as date), cast('{built_day}' as date)) group by all"
    )
    customer_models = {"customer_churn", "customer_clv", "customer_segments"}
    for day in days:
        assert customer_models <= {model for model, date in scored if date == day}, day
    # The point-in-time tables end as of the last day: its spine, nothing of the first day's.
    dates = {
        row[0] for row in warehouse.query("select distinct as_of_date from features.lead_features")
    }
    assert built_day in dates and NEW_DAY not in dates
    instance = open_instance(warehouse.settings)
    partitions = {run.tags.get("dagster/partition") for run in instance.get_runs(limit=5)}
    assert {day.isoformat() for day in days} <= partitions
    # Exactly once across runs: the new day's alerts went out, none the built run had sent.
    before = set(alert_deliveries(built_duckdb.slack_messages))
    again = set(alert_deliveries(slack.messages))
    assert before and again
    assert not before & again
    # The shared warehouse was not touched.
    untouched = built_duckdb.query("select distinct as_of_date from ml.predictions")
    assert NEW_DAY not in {row[0] for row in untouched}
