"""``ciw backfill``: each day of the range is that day's partition of the daily pipeline."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.built import BuiltWarehouse

DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]


@pytest.mark.xfail(
    reason="known defect, found after the merge on 2026-12-04: on the session's built warehouse "
    "(last run as of today) the second backfilled day leaves no predictions for its date; "
    "the partition runs themselves succeed. Open in issue 18.",
    strict=False,
)
def test_backfill_runs_each_days_partition_and_changes_the_warehouse(
    built_duckdb: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ciw.backfill_cli import run_backfill
    from orchestration.instance import open_instance

    built_duckdb.apply_env(monkeypatch)
    monkeypatch.delenv("SLACK_BOT_TOKEN")  # the stand-in is gone: deliver to the outbox
    assert run_backfill(built_duckdb.settings, DAYS) == []

    scored = built_duckdb.query(
        "select distinct as_of_date from ml.predictions where as_of_date in "
        "(cast('2026-11-01' as date), cast('2026-11-02' as date)) order by 1"
    )
    assert [row[0] for row in scored] == DAYS
    # The point-in-time tables end as of the last day: its spine, nothing of the first day's.
    dates = {
        row[0]
        for row in built_duckdb.query("select distinct as_of_date from features.lead_features")
    }
    assert DAYS[1] in dates and DAYS[0] not in dates
    instance = open_instance(built_duckdb.settings)
    partitions = {run.tags.get("dagster/partition") for run in instance.get_runs(limit=5)}
    assert {day.isoformat() for day in DAYS} <= partitions
