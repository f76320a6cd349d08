"""Deterministic generator of the raw source tables (CRM, support, product, billing, commerce).

Same config, same bytes. ``customers`` is the one scale knob; every other count follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sources.contract import raw_tables
from sources.generate import (
    billing,
    commerce,
    crm,
    deals,
    engagement,
    people,
    product,
    success,
    support,
    web,
)
from sources.generate.b2b import build_accounts
from sources.generate.common import Columns, Context
from sources.generate.config import GeneratorConfig, file_suffix
from sources.generate.dirty import inject
from sources.generate.writer import to_table, write_table

__all__ = ["GeneratorConfig", "generate"]

Progress = Callable[[str, int, int], None]


def _build_all(ctx: Context) -> dict[str, Columns]:
    """Every table's columns, keyed ``<source>.<table>``."""
    persons = people.build_people(ctx)
    accounts = build_accounts(ctx)
    contacts, contact_columns = crm.build_contacts(ctx, accounts, persons)
    opportunities, history = deals.build_deals(ctx, accounts)
    invoices, payments = billing.build_billing(ctx, accounts)
    orders = commerce.build_orders(ctx, persons)
    sessions, cart_events, web_events = web.build_sessions(ctx, persons, orders)
    departures = engagement.contact_departure_days(ctx, accounts, contacts)
    return {
        "crm.users": crm.user_columns(ctx),
        "crm.accounts": crm.account_columns(ctx, accounts),
        "crm.contacts": contact_columns,
        "crm.leads": crm.lead_columns(ctx, accounts, persons),
        "crm.opportunities": opportunities,
        "crm.opportunity_stage_history": history,
        "support.tickets": support.ticket_columns(ctx, accounts, contacts, persons, orders),
        "product.usage_events": product.usage_columns(ctx, accounts, contacts),
        "billing.subscriptions": billing.subscription_columns(ctx, accounts),
        "billing.invoices": invoices,
        "billing.payments": payments,
        "commerce.customers": people.customer_columns(ctx, persons),
        "commerce.orders": commerce.order_columns(ctx, persons, orders),
        "commerce.order_items": commerce.order_item_columns(ctx, orders),
        "commerce.returns": commerce.return_columns(ctx, orders),
        "commerce.web_sessions": sessions,
        "commerce.cart_events": cart_events,
        "commerce.web_events": web_events,
        "marketing.email_events": engagement.email_event_columns(
            ctx, accounts, contacts, departures
        ),
        "community.posts": engagement.post_columns(ctx, accounts, contacts),
        "training.enrollments": success.enrollment_columns(ctx, accounts, contacts),
        "surveys.responses": success.response_columns(ctx, accounts, contacts, departures),
    }


def generate(
    out_dir: Path, config: GeneratorConfig, progress: Progress | None = None
) -> dict[str, int]:
    """Write ``out_dir/<source>/<table>.<csv|parquet>`` for every contract table.

    Returns the rows written per ``<source>.<table>`` (dirty rows included).
    ``progress(table_key, done_tables, total_tables)`` is called after each table.
    """
    ctx = Context.from_config(config)
    contracts = raw_tables()
    built = _build_all(ctx)
    missing = set(contracts) - set(built)
    if missing:
        raise RuntimeError(f"generator has no builder for {sorted(missing)}")
    counts: dict[str, int] = {}
    for done, key in enumerate(sorted(contracts), start=1):
        contract = contracts[key]
        suffix = file_suffix(config, contract.source)
        table = inject(to_table(contract, built.pop(key)), contract, ctx, is_csv=suffix == "csv")
        write_table(table, Path(out_dir) / contract.source / f"{contract.name}.{suffix}")
        counts[key] = table.num_rows
        if progress is not None:
            progress(key, done, len(contracts))
    return counts
