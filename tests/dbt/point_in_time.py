"""The point-in-time tests' warehouses: build the feature models with the run's as-of date L,
whose spine also holds the grid date D = L - 12 days; add events dated at D and after it
(``tests/dbt/late_events.py``); rebuild from scratch with the same vars. Every feature row of D
must be unchanged (only events strictly before D count), while rows of L must change (so a test
notices when nothing was inserted). Two shops, each built twice, serve the customer, B2B and
customer-success tests (the session fixtures in ``tests/dbt/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from sources.generate.config import GeneratorConfig
from tests.dbt import late_events
from tests.dbt.rows import same_rows
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

RUN_AS_OF = "2026-10-31"
CHECKED_AS_OF = "2026-10-19"  # a grid date of the spine before RUN_AS_OF (7- and 14-day steps)
#: The feature models the tests check, with their key columns.
CUSTOMER_KEYS = {
    "customer_order_features": "customer_id",
    "customer_engagement_features": "customer_id",
    "customer_category_features": "customer_id",
}
ACCOUNT_KEYS = {
    "account_usage_features": "account_id",
    "account_support_features": "account_id",
    "account_billing_features": "account_id",
    "opportunity_features": "opportunity_id",
    "lead_features": "lead_id",
    "account_engagement_features": "account_id",
    "account_adoption_features": "account_id",
}
#: The customer-success events copy product usage rows the B2B ones copy too: ids apart.
SUCCESS_ID_SHIFT = 20_000_000

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


def insert_late_events(
    warehouse: Path, statements: Iterable[str], day: str, id_shift: int = 0
) -> None:
    """Run each statement once per batch of ``LATE_BATCHES``, with ``{moment}`` the batch's
    timestamp (``day`` 00:00 plus its days) and ``{id_offset}`` its id offset plus ``id_shift``."""
    statements = tuple(statements)
    with duckdb.connect(str(warehouse)) as connection:
        for offset_days, id_offset in LATE_BATCHES:
            moment = f"(cast('{day}' as timestamp) + interval {offset_days} day)"
            for statement in statements:
                connection.execute(statement.format(moment=moment, id_offset=id_offset + id_shift))


@dataclass(frozen=True)
class LateEvents:
    """One domain's late events: statements run per batch, shifted ids, one-off statements."""

    statements: tuple[str, ...]
    id_shift: int = 0
    once: tuple[str, ...] = ()


#: The B2B and customer-success features share a shop; the customer features have their own,
#: as identity resolution is current-state by design: leads and tickets added after D may grow
#: an identity cluster past the size that waits for approval, or move a web device to another
#: customer, which re-keys customer history at D without any event of D counting.
B2B_AND_SUCCESS = (
    LateEvents(late_events.B2B_EVENTS, once=(late_events.B2B_CONVERSION_AT_CHECKED_DATE,)),
    LateEvents(late_events.SUCCESS_EVENTS, id_shift=SUCCESS_ID_SHIFT),
)
CUSTOMERS = (LateEvents(late_events.CUSTOMER_EVENTS),)


@dataclass(frozen=True)
class LateEventsBuild:
    """Feature rows of D and L before and after the late events, and the warehouse."""

    warehouse: Path
    checked_before: dict[str, list[tuple[Any, ...]]]
    latest_before: dict[str, list[tuple[Any, ...]]]
    checked_after: dict[str, list[tuple[Any, ...]]]
    latest_after: dict[str, list[tuple[Any, ...]]]
    #: The build's ``totals_sql`` at L before and after (None without one).
    totals_before: tuple[Any, ...] | None = None
    totals_after: tuple[Any, ...] | None = None

    def empty_at_checked_day(self, models: Iterable[str]) -> list[str]:
        """The models with no row of D before the late events (nothing to check there)."""
        return [model for model in models if not self.checked_before[model]]

    def leaked_at_checked_day(self, models: Iterable[str]) -> list[str]:
        """The models whose rows of D the late events changed: they counted events of D or
        later."""
        return [
            model
            for model in models
            if not same_rows(self.checked_after[model], self.checked_before[model])
        ]

    def unchanged_at_run_day(self, models: Iterable[str]) -> list[str]:
        """The models whose rows of L the late events did not change (they never saw them)."""
        return [
            model
            for model in models
            if same_rows(self.latest_after[model], self.latest_before[model])
        ]


def build_with_late_events(
    settings: Settings,
    root: Path,
    config: GeneratorConfig,
    keys: Mapping[str, str],
    domains: Iterable[LateEvents],
    *,
    max_bad_share: float | None = None,
    totals_sql: str | None = None,
) -> LateEventsBuild:
    """Generate and load a shop, build the ``keys`` models, add the domains' late events and
    build again; the feature rows of D and L from both builds, and ``totals_sql`` (one row, L
    as its parameter) from both."""
    from sources.generate import generate
    from sources.load.loader import load_directory

    generate(root / "exports", config)
    load_directory(root / "exports", settings, max_bad_share=max_bad_share)
    warehouse = settings.duckdb_path
    target = root / "dbt_target"  # both builds: the second one parses partially

    build_from_scratch(settings, target, keys, RUN_AS_OF)
    checked_before = feature_rows(warehouse, keys, CHECKED_AS_OF)
    latest_before = feature_rows(warehouse, keys, RUN_AS_OF)
    totals_before = _totals(warehouse, totals_sql)

    for domain in domains:
        insert_late_events(warehouse, domain.statements, CHECKED_AS_OF, domain.id_shift)
        with duckdb.connect(str(warehouse)) as connection:
            for statement in domain.once:
                connection.execute(statement.format(day=CHECKED_AS_OF))
    build_from_scratch(settings, target, keys, RUN_AS_OF)

    return LateEventsBuild(
        warehouse=warehouse,
        checked_before=checked_before,
        latest_before=latest_before,
        checked_after=feature_rows(warehouse, keys, CHECKED_AS_OF),
        latest_after=feature_rows(warehouse, keys, RUN_AS_OF),
        totals_before=totals_before,
        totals_after=_totals(warehouse, totals_sql),
    )


def _totals(warehouse: Path, sql: str | None) -> tuple[Any, ...] | None:
    if sql is None:
        return None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        totals = connection.execute(sql, [RUN_AS_OF]).fetchone()
    assert totals is not None
    return tuple(totals)
