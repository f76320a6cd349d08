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
from tests.dbt.point_in_time import build_from_scratch, feature_rows, insert_late_events
from tests.dbt.rows import same_rows
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


def _add_events_at_and_after(warehouse: Path, day: str) -> None:
    insert_late_events(warehouse, LATE_EVENTS, day)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(CONVERSION_AT_CHECKED_DATE.format(day=day))


def test_b2b_features_ignore_events_at_and_after_the_as_of_date(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    config = GeneratorConfig(customers=600, seed=5, end_date=datetime.date(2026, 10, 31))
    generate(tmp_path / "exports", config)
    load_directory(tmp_path / "exports", duckdb_settings)
    warehouse = duckdb_settings.duckdb_path

    build_from_scratch(duckdb_settings, tmp_path / "t1", FEATURE_KEYS, RUN_AS_OF)
    checked_before = feature_rows(warehouse, FEATURE_KEYS, CHECKED_AS_OF)
    latest_before = feature_rows(warehouse, FEATURE_KEYS, RUN_AS_OF)
    assert all(checked_before[model] for model in FEATURE_KEYS), "every model has rows at D"

    _add_events_at_and_after(warehouse, CHECKED_AS_OF)
    build_from_scratch(duckdb_settings, tmp_path / "t2", FEATURE_KEYS, RUN_AS_OF)

    checked_after = feature_rows(warehouse, FEATURE_KEYS, CHECKED_AS_OF)
    latest_after = feature_rows(warehouse, FEATURE_KEYS, RUN_AS_OF)
    for model in FEATURE_KEYS:
        assert same_rows(checked_after[model], checked_before[model]), (
            f"{model} leaked events at/after D"
        )
    changed = [
        model for model in FEATURE_KEYS if not same_rows(latest_after[model], latest_before[model])
    ]
    assert set(changed) == set(FEATURE_KEYS), f"only {changed} saw the new events at L"
