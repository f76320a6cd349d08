"""``ciw backfill``: each day of the range is that day's partition of the daily pipeline."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.built import BuiltWarehouse

DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]


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


def test_backfill_runs_each_days_partition_and_scores_each_day(
    built_duckdb: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ciw.backfill_cli import run_backfill
    from orchestration.instance import open_instance

    warehouse = private_copy(built_duckdb, tmp_path)
    warehouse.apply_env(monkeypatch)
    monkeypatch.delenv("SLACK_BOT_TOKEN")  # the stand-in is gone: deliver to the outbox
    assert run_backfill(warehouse.settings, DAYS) == []

    # Every day of the range is scored as of that day, by every model that scores customers.
    scored = warehouse.query(
        "select model_name, as_of_date from ml.predictions where as_of_date in "
        "(cast('2026-11-01' as date), cast('2026-11-02' as date)) group by all"
    )
    customer_models = {"customer_churn", "customer_clv", "customer_segments"}
    for day in DAYS:
        assert customer_models <= {model for model, date in scored if date == day}, day
    # The point-in-time tables end as of the last day: its spine, nothing of the first day's.
    dates = {
        row[0] for row in warehouse.query("select distinct as_of_date from features.lead_features")
    }
    assert DAYS[1] in dates and DAYS[0] not in dates
    instance = open_instance(warehouse.settings)
    partitions = {run.tags.get("dagster/partition") for run in instance.get_runs(limit=5)}
    assert {day.isoformat() for day in DAYS} <= partitions
    # The shared warehouse was not touched.
    untouched = built_duckdb.query("select distinct as_of_date from ml.predictions")
    assert not set(DAYS) & {row[0] for row in untouched}
