"""Point-in-time correctness of the B2B feature models (accounts, opportunities, leads).

Build with the run's as-of date L, whose spine also holds the grid date D = L - 12 days. Then add
B2B events dated at D and after it - product usage, support tickets, invoices and failed payments,
stage changes of open deals, new leads and a conversion - rebuild from scratch with the same vars,
and compare: every feature row of D must be unchanged (only events strictly before D count), while
some rows of L must change (so the test notices when nothing was inserted).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import duckdb
import pytest

from sources.generate import generate
from sources.generate.config import GeneratorConfig
from sources.load.loader import load_directory
from tests.dbt.rows import same_rows
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

RUN_AS_OF = "2026-10-31"
CHECKED_AS_OF = "2026-10-19"  # a grid date of the spine before RUN_AS_OF
FEATURE_KEYS = {
    "account_usage_features": "account_id",
    "account_support_features": "account_id",
    "account_billing_features": "account_id",
    "opportunity_features": "opportunity_id",
    "lead_features": "lead_id",
}

# Copies of existing rows re-dated to {moment}; new ids so they add rather than replace.
LATE_EVENTS = (
    """
    insert into raw_product.usage_events
    select * replace (event_id + {id_offset} as event_id, {moment} as occurred_at)
    from raw_product.usage_events where account_id is not null order by event_id limit 500
    """,
    """
    insert into raw_support.tickets
    select * replace (
        ticket_id + {id_offset} as ticket_id, {moment} as created_at, true as is_escalated,
        {moment} + interval 1 hour as first_response_at, {moment} + interval 5 hour as solved_at,
        1 as csat_score
    )
    from raw_support.tickets where account_id is not null order by ticket_id limit 200
    """,
    """
    insert into raw_billing.invoices
    select * replace (
        invoice_id || '-late{id_offset}' as invoice_id, {moment} as issued_at,
        {moment} as due_at, 99999 as amount_due
    )
    from raw_billing.invoices where account_id is not null order by invoice_id limit 200
    """,
    """
    insert into raw_billing.payments
    select * replace (
        payment_id || '-late{id_offset}' as payment_id, 'failed' as status, {moment} as paid_at
    )
    from raw_billing.payments order by payment_id limit 200
    """,
    """
    insert into raw_crm.opportunity_stage_history
    select * replace (
        history_id || '-late{id_offset}' as history_id, 'negotiation' as stage,
        {moment} as changed_at, 1 as amount
    )
    from raw_crm.opportunity_stage_history order by history_id limit 300
    """,
    """
    insert into raw_crm.leads
    select * replace (
        lead_id || '-late{id_offset}' as lead_id, {moment} as created_at, null as converted_at
    )
    from raw_crm.leads order by lead_id limit 100
    """,
)
# A re-delivered lead (a later load wins) that converts exactly at the checked date.
CONVERSION_AT_CHECKED_DATE = """
    insert into raw_crm.leads
    select * replace (
        cast('{day}' as timestamp) as converted_at, 'converted' as status,
        _loaded_at + interval 1 day as _loaded_at
    )
    from raw_crm.leads
    where converted_at is null and created_at < cast('{day}' as timestamp) - interval 100 day
    order by lead_id limit 20
"""


def _build(settings: Settings, target: Path) -> None:
    selection = " ".join(f"+{model}" for model in FEATURE_KEYS)
    # build, not run: the spine reads the order history (its step adapts to it), so the
    # selection reaches the identity seed, which only build loads; tests stay out for speed.
    run_dbt(
        [
            "build",
            "--full-refresh",
            "--select",
            selection,
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--vars",
            f"{{as_of_date: {RUN_AS_OF}}}",
        ],
        settings,
        target_path=target,
        echo=False,
    )


def _rows(warehouse: Path, as_of: str) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            model: connection.execute(
                f"select * from features.{model} where as_of_date = cast(? as date) order by {key}",
                [as_of],
            ).fetchall()
            for model, key in FEATURE_KEYS.items()
        }


def _add_events_at_and_after(warehouse: Path, day: str) -> None:
    with duckdb.connect(str(warehouse)) as connection:
        for offset_days, id_offset in ((0, 800_000_000), (3, 850_000_000)):
            moment = f"(cast('{day}' as timestamp) + interval {offset_days} day)"
            for statement in LATE_EVENTS:
                connection.execute(statement.format(moment=moment, id_offset=id_offset))
        connection.execute(CONVERSION_AT_CHECKED_DATE.format(day=day))


def test_b2b_features_ignore_events_at_and_after_the_as_of_date(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    config = GeneratorConfig(customers=600, seed=5, end_date=datetime.date(2026, 10, 31))
    generate(tmp_path / "exports", config)
    load_directory(tmp_path / "exports", duckdb_settings)
    warehouse = duckdb_settings.duckdb_path

    _build(duckdb_settings, tmp_path / "t1")
    checked_before = _rows(warehouse, CHECKED_AS_OF)
    latest_before = _rows(warehouse, RUN_AS_OF)
    assert all(checked_before[model] for model in FEATURE_KEYS), "every model has rows at D"

    _add_events_at_and_after(warehouse, CHECKED_AS_OF)
    _build(duckdb_settings, tmp_path / "t2")

    checked_after = _rows(warehouse, CHECKED_AS_OF)
    latest_after = _rows(warehouse, RUN_AS_OF)
    for model in FEATURE_KEYS:
        assert same_rows(checked_after[model], checked_before[model]), (
            f"{model} leaked events at/after D"
        )
    changed = [
        model for model in FEATURE_KEYS if not same_rows(latest_after[model], latest_before[model])
    ]
    assert set(changed) == set(FEATURE_KEYS), f"only {changed} saw the new events at L"
