"""An incremental daily run of the point-in-time models equals a full rebuild on the same data.

Build everything as of day D (2026-11-02, a grid date of the spine), then load day D's events
and late rows dated D-3 (``write_next_day``: the next day's increment), run incrementally as of
D+1, and compare every incremental model of the features layer (features and labels) with a
``--full-refresh`` build as of D+1 on the same warehouse: the same set of rows, not just counts.
The late rows change the features of D, a date built by the first run and rebuilt by the
lookback, so the test fails if the lookback or the pruning of dates outside the spine broke.

The event tables' staging models are incremental too (macro ``changed_rows``): they are compared
the same way, after two changes a key-by-key update must get right: a newer version of an
existing web session and usage event (loaded with the day), a usage event dated D+2 noon,
future-dated when D was built (staged with ``is_future_dated``) and no longer on D+1, and a
usage event stamped before the newest load staged but written after that build (a load that
committed late).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sources.generate import generate
from sources.generate.config import GeneratorConfig
from sources.generate.increment import write_next_day
from sources.load.loader import load_directory
from tests.dbt.rows import same_rows
from warehouse import adapter_for
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

END_DATE = dt.date(2026, 11, 1)  # last day of the generated export
FIRST_AS_OF = "2026-11-02"  # day D: events before it; a grid date (Monday, 14-day step)
NEXT_AS_OF = "2026-11-03"  # D+1, after day D's events were loaded
#: How the daily run gives dbt its as-of date (``orchestration.dbt.AS_OF_DATE_ENV``).
AS_OF_DATE_ENV = "CIW_AS_OF_DATE"
INCREMENTAL_MODELS = (
    "customer_order_features",
    "customer_engagement_features",
    "customer_category_features",
    "customer_identity_features",
    "account_usage_features",
    "account_support_features",
    "account_billing_features",
    "account_engagement_features",
    "account_adoption_features",
    "opportunity_features",
    "lead_features",
    "customer_churn_labels",
    "customer_revenue_labels",
    "account_churn_labels",
    "lead_conversion_labels",
)
INCREMENTAL_STAGING = (
    "stg_commerce__web_events",
    "stg_commerce__web_sessions",
    "stg_commerce__cart_events",
    "stg_commerce__order_items",
    "stg_marketing__email_events",
    "stg_product__usage_events",
)
#: Point-in-time models outside the features schema, incremental the same way.
INCREMENTAL_INTERMEDIATE = ("int_customer_journey_stages",)
#: Relations compared between the incremental run and the full rebuild.
COMPARED = (
    *(f"features.{model}" for model in INCREMENTAL_MODELS),
    *(f"intermediate.{model}" for model in INCREMENTAL_INTERMEDIATE),
    *(f"staging.{model}" for model in INCREMENTAL_STAGING),
)
#: Raw keys of the rows the test writes itself (far above the generator's).
FLIPPING_EVENT, FUTURE_EVENT, LATE_COMMIT = 9_000_000_001, 9_000_000_002, 9_000_000_003


def _build(
    settings: Settings,
    target: Path,
    as_of: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    full_refresh: bool,
) -> None:
    """The selection as of ``as_of``, given as the daily run gives it (``CIW_AS_OF_DATE``, not
    ``--vars``, which would make dbt parse the whole project again); one target folder for
    every build, so only the first parses in full."""
    models = (*INCREMENTAL_MODELS, *INCREMENTAL_INTERMEDIATE, *INCREMENTAL_STAGING)
    selection = " ".join(f"+{model}" for model in models)
    arguments = ["build", "--select", selection, "--exclude", "resource_type:test"]
    arguments += ["resource_type:unit_test"]
    monkeypatch.setenv(AS_OF_DATE_ENV, as_of)
    # Raises DbtFailure (with the log's tail) when a model fails.
    run_dbt(
        [*arguments, *(["--full-refresh"] if full_refresh else [])],
        settings,
        target_path=target,
        echo=False,
    )


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # Floats may differ in their last digits between builds: order by everything else.
    return tuple("" if isinstance(v, float) else (v is None, str(v)) for v in row)


def _tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    with adapter_for(settings).session() as session:
        return {
            relation: sorted(
                (tuple(row) for row in session.execute(f"select * from {relation}")),
                key=_sort_key,
            )
            for relation in COMPARED
        }


def _copy_raw_row(
    settings: Settings, relation: str, key: str, key_value: Any, changes: dict[str, Any]
) -> None:
    """Insert a copy of the raw row whose ``key`` is ``key_value``, with ``changes`` (column ->
    value) - what a later export row of that key, or a new one, would look like once loaded."""
    schema, table = relation.split(".")
    with adapter_for(settings).session(transaction=True) as session:
        columns = [
            row[0]
            for row in session.execute(
                "select column_name from information_schema.columns"
                " where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            )
        ]
        chosen = ", ".join("%s" if column in changes else column for column in columns)
        values = [changes[column] for column in columns if column in changes]
        session.execute(
            f"insert into {relation} ({', '.join(columns)})"
            f" select {chosen} from {relation} where {key} = %s",
            (*values, key_value),
        )


def _first_key(settings: Settings, relation: str, key: str) -> Any:
    """The smallest key that staging keeps as it is (no blanks around it)."""
    with adapter_for(settings).session() as session:
        found = session.execute(
            f"select min({key}) from {relation}"
            f" where cast({key} as varchar) = trim(cast({key} as varchar))"
        )
    return found[0][0]


def _staged(settings: Settings, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with adapter_for(settings).session() as session:
        return [tuple(row) for row in session.execute(sql, params)]


def _difference(rows: list[tuple[Any, ...]], others: list[tuple[Any, ...]]) -> str:
    """The first rows only one side has (exact comparison; for the failure message)."""
    only_incremental = sorted(set(rows) - set(others), key=_sort_key)[:3]
    only_full = sorted(set(others) - set(rows), key=_sort_key)[:3]
    return (
        f"{len(rows)} vs {len(others)} rows; only incremental {only_incremental}, "
        f"only full {only_full}"
    )


def _dates(settings: Settings, model: str) -> set[str]:
    with adapter_for(settings).session() as session:
        found = session.execute(f"select distinct as_of_date from features.{model}")
    return {str(row[0]) for row in found}


def test_an_incremental_run_equals_a_full_rebuild(
    warehouse_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = warehouse_settings
    target = tmp_path / "dbt_target"
    exports, increment = tmp_path / "exports", tmp_path / "increment"
    generate(exports, GeneratorConfig(customers=300, seed=11, end_date=END_DATE))
    load_directory(exports, settings)
    usage_event = _first_key(settings, "raw_product.usage_events", "event_id")
    for event_id, moment in (
        (FLIPPING_EVENT, dt.datetime(2026, 11, 4, 12)),  # future as of D, not as of D+1
        (FUTURE_EVENT, dt.datetime(2026, 11, 20, 12)),  # future on both days
    ):
        changes = {"event_id": event_id, "occurred_at": moment}
        _copy_raw_row(settings, "raw_product.usage_events", "event_id", usage_event, changes)
    _build(settings, target, FIRST_AS_OF, monkeypatch, full_refresh=True)
    before = _tables(settings)
    staged_flag = (
        "select is_future_dated from staging.stg_product__usage_events where usage_event_id = %s"
    )
    assert _staged(settings, staged_flag, (FLIPPING_EVENT,)) == [(True,)]
    # A row whose load committed after that build had read the table, stamped before the
    # newest load it holds (a concurrent load or event): the next build must stage it.
    staged_up_to = _staged(
        settings, "select max(_loaded_at) from staging.stg_product__usage_events", ()
    )[0][0]
    _copy_raw_row(
        settings,
        "raw_product.usage_events",
        "event_id",
        usage_event,
        {"event_id": LATE_COMMIT, "_loaded_at": staged_up_to - dt.timedelta(minutes=1)},
    )
    first_dates = _dates(settings, "customer_order_features")

    written = write_next_day(exports, increment, end_date=END_DATE, late_days_back=3, late_share=1)
    assert written.day == dt.date(2026, 11, 2)
    assert written.rows["commerce.orders"] > 0 and written.rows["product.usage_events"] > 0
    load_directory(increment, settings)
    # Newer versions of existing keys, loaded after everything staged so far.
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
    session_id = _first_key(settings, "raw_commerce.web_sessions", "session_id")
    _copy_raw_row(
        settings,
        "raw_commerce.web_sessions",
        "session_id",
        session_id,
        {"page_views": 999, "_loaded_at": later, "_batch_id": "test-update"},
    )
    _copy_raw_row(
        settings,
        "raw_product.usage_events",
        "event_id",
        usage_event,
        {"duration_seconds": 4321, "_loaded_at": later, "_batch_id": "test-update"},
    )

    _build(settings, target, NEXT_AS_OF, monkeypatch, full_refresh=False)
    incremental = _tables(settings)
    _build(settings, target, NEXT_AS_OF, monkeypatch, full_refresh=True)
    rebuilt = _tables(settings)

    assert all(rebuilt[relation] for relation in COMPARED), "a model is empty"
    differing = {
        relation: _difference(incremental[relation], rebuilt[relation])
        for relation in COMPARED
        if not same_rows(incremental[relation], rebuilt[relation])
    }
    assert not differing, f"incremental != full rebuild: {differing}"
    # The changes the staging increment had to get right are in the compared tables.
    assert _staged(settings, staged_flag, (FLIPPING_EVENT,)) == [(False,)]
    assert _staged(settings, staged_flag, (FUTURE_EVENT,)) == [(True,)]
    assert _staged(settings, staged_flag, (LATE_COMMIT,)) == [(False,)]
    assert _staged(
        settings,
        "select duration_seconds from staging.stg_product__usage_events where usage_event_id = %s",
        (usage_event,),
    ) == [(4321,)]
    assert _staged(
        settings,
        "select page_view_count from staging.stg_commerce__web_sessions where web_session_id = %s",
        (session_id,),
    ) == [(999,)]
    # The late rows of D-3 reached D (built by the first run, rebuilt by the lookback), and the
    # spine moved: D+1 is new, the oldest date of the first run's spine is gone.
    orders_before, orders_now = (
        tables["features.customer_order_features"] for tables in (before, rebuilt)
    )
    at_d = [row for row in orders_before if str(row[1]) == FIRST_AS_OF]
    at_d_now = [row for row in orders_now if str(row[1]) == FIRST_AS_OF]
    assert at_d and not same_rows(at_d, at_d_now), "the late rows did not change day D"
    next_dates = _dates(settings, "customer_order_features")
    assert NEXT_AS_OF in next_dates and FIRST_AS_OF in next_dates
    assert min(first_dates) not in next_dates
