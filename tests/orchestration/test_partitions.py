"""Daily partitions: the dbt assets and the pipeline jobs are partitioned by as-of date; a run's
partition is its as-of date; the schedule runs today's; ``ciw backfill`` checks its range."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from click.testing import CliRunner

from orchestration.partitions import (
    DAILY_PARTITIONS,
    PARTITIONS_START,
    days,
    partition_key,
    run_as_of,
    today_partition,
)


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    from orchestration.definitions import defs

    return defs.get_repository_def()


def test_the_partition_of_a_run_is_its_as_of_date() -> None:
    assert partition_key(dt.date(2026, 11, 3)) == "2026-11-03"
    assert partition_key(None) == today_partition() == dt.datetime.now(dt.UTC).date().isoformat()
    assert today_partition() in DAILY_PARTITIONS.get_partition_keys()  # today's exists
    with pytest.raises(ValueError, match="before the first partition"):
        partition_key(dt.date(2019, 12, 31))
    assert DAILY_PARTITIONS.get_first_partition_key() == PARTITIONS_START


def test_days_of_a_range() -> None:
    assert days(dt.date(2026, 10, 30), dt.date(2026, 11, 1)) == [
        dt.date(2026, 10, 30),
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 1),
    ]
    with pytest.raises(ValueError, match="ends"):
        days(dt.date(2026, 11, 2), dt.date(2026, 11, 1))


def test_a_step_builds_as_of_its_partition_unless_configured() -> None:
    with dg.build_asset_context(partition_key="2026-11-03") as context:
        assert run_as_of(context, None) == "2026-11-03"
        assert run_as_of(context, "2026-10-01") == "2026-10-01"
    with dg.build_asset_context() as context:
        assert run_as_of(context, None) is None


def test_dbt_assets_and_pipeline_jobs_are_daily_partitioned(
    repository: dg.RepositoryDefinition,
) -> None:
    from orchestration.dbt import dbt_models, dbt_scored_models, model_key
    from orchestration.schedules import DAILY_JOB, FULL_JOB

    for assets in (dbt_models, dbt_scored_models):
        assert assets.partitions_def == DAILY_PARTITIONS
    graph = repository.asset_graph
    for model in ("customer_order_features", "customer_churn_labels", "customer_risk_scores"):
        assert graph.get(model_key(model)).partitions_def == DAILY_PARTITIONS
    for name in (DAILY_JOB, FULL_JOB):
        assert repository.get_job(name).partitions_def == DAILY_PARTITIONS


def test_the_daily_schedule_runs_todays_partition_at_six(
    repository: dg.RepositoryDefinition,
) -> None:
    schedule = repository.get_schedule_def("daily_pipeline_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "UTC")
    moment = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=moment, repository_def=repository
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests or []
    assert [request.partition_key for request in requests] == ["2026-11-03"]


def test_backfill_refuses_a_reversed_range() -> None:
    from ciw.cli import cli

    result = CliRunner().invoke(cli, ["backfill", "2026-11-03", "2026-11-01"])
    assert result.exit_code != 0
    assert "ends (2026-11-01) before it starts (2026-11-03)" in result.output
