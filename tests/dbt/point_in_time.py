"""Shared steps of the point-in-time tests: build the feature models from scratch, read one
date's feature rows, and add copies of raw events re-dated to a day and after it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from warehouse.dbt import run_dbt
from warehouse.settings import Settings

#: (days after the checked day, id offset) of each batch of late copies.
LATE_BATCHES = ((0, 800_000_000), (3, 850_000_000))


def build_from_scratch(settings: Settings, target: Path, models: Iterable[str], as_of: str) -> None:
    """``dbt build --full-refresh`` of the models and all upstream of them, tests left out.

    build, not run: the spine reads the order history (its step adapts to it), so the
    selection reaches the identity seed, which only build loads; tests stay out for speed.
    """
    run_dbt(
        [
            "build",
            "--full-refresh",
            "--select",
            " ".join(f"+{model}" for model in models),
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--vars",
            f"{{as_of_date: {as_of}}}",
        ],
        settings,
        target_path=target,
        echo=False,
    )


def feature_rows(warehouse: Path, keys: Mapping[str, str], as_of: str) -> dict[str, list[tuple]]:
    """Every row of each feature model (name -> key column) at ``as_of``, ordered by its key."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            model: connection.execute(
                f"select * from features.{model} where as_of_date = cast(? as date) order by {key}",
                [as_of],
            ).fetchall()
            for model, key in keys.items()
        }


def insert_late_events(warehouse: Path, statements: Iterable[str], day: str) -> None:
    """Run each statement once per batch of ``LATE_BATCHES``, with ``{moment}`` the batch's
    timestamp (``day`` 00:00 plus its days) and ``{id_offset}`` its id offset."""
    statements = tuple(statements)
    with duckdb.connect(str(warehouse)) as connection:
        for offset_days, id_offset in LATE_BATCHES:
            moment = f"(cast('{day}' as timestamp) + interval {offset_days} day)"
            for statement in statements:
                connection.execute(statement.format(moment=moment, id_offset=id_offset))
