"""Daily partitions: one partition per as-of date, the day the run treats as "today".

The time-based assets (every dbt model: the spine, features, labels, scored marts and alerts
are built as of the partition's date) carry :data:`DAILY_PARTITIONS`. Partition D is what
``ciw run --as-of D`` runs; a backfill of a date range (``ciw backfill FROM TO``, or the UI's
"Materialize" on a partition range) runs the days one by one. Today's partition exists
(``end_offset=1``), since the daily run at 06:00 UTC builds as of the current date.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

#: The first as-of date a backfill may ask for.
PARTITIONS_START = "2020-01-01"

DAILY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=PARTITIONS_START, end_offset=1, timezone="UTC"
)


def today_partition() -> str:
    """The partition key of the current date in UTC (the daily run's as-of date)."""
    return dt.datetime.now(dt.UTC).date().isoformat()


def partition_key(as_of: dt.date | None) -> str:
    """The partition a run as of ``as_of`` (None: today) belongs to; a clear error outside
    the partitions."""
    key = as_of.isoformat() if as_of else today_partition()
    if key < PARTITIONS_START:
        raise ValueError(f"as-of date {key} is before the first partition, {PARTITIONS_START}")
    return key


def run_as_of(context: dg.AssetExecutionContext, configured: str | None) -> str | None:
    """The as-of date of a step: the run config's, else the run's partition, else None."""
    if configured:
        return configured
    return context.partition_key if context.has_partition_key else None


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every date from ``start`` to ``end``, both included (a backfill's partitions)."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
