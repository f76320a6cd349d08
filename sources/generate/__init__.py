"""Deterministic generator of the raw source tables (CRM, support, product, billing, commerce).

Same config, same bytes. ``customers`` is the one scale knob; every other count follows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

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
from sources.generate.browsing import web_event_columns
from sources.generate.common import Columns, Context
from sources.generate.config import GeneratorConfig, file_suffix
from sources.generate.dirty import inject
from sources.generate.writer import to_table, write_table

__all__ = ["GeneratorConfig", "generate"]

Progress = Callable[[str, int, int], None]


def _build_tables(ctx: Context) -> Iterator[tuple[str, Columns]]:
    """Every table's columns, keyed ``<source>.<table>``, one table at a time.

    Each table is yielded as soon as it is built so the caller can write it and drop it: at a
    million customers holding every table at once needs more memory than the largest one does.
    The random streams are keyed by table, so the order changes no byte.
    """
    persons = people.build_people(ctx)
    yield "commerce.customers", people.customer_columns(ctx, persons)
    accounts = build_accounts(ctx)
    yield "crm.users", crm.user_columns(ctx)
    yield "crm.accounts", crm.account_columns(ctx, accounts)
    yield "crm.leads", crm.lead_columns(ctx, accounts, persons)
    contacts, contact_columns = crm.build_contacts(ctx, accounts, persons)
    yield "crm.contacts", contact_columns
    del contact_columns
    opportunities, history = deals.build_deals(ctx, accounts)
    yield "crm.opportunities", opportunities
    yield "crm.opportunity_stage_history", history
    del opportunities, history
    invoices, payments = billing.build_billing(ctx, accounts)
    yield "billing.invoices", invoices
    yield "billing.payments", payments
    del invoices, payments
    yield "billing.subscriptions", billing.subscription_columns(ctx, accounts)
    yield "product.usage_events", product.usage_columns(ctx, accounts, contacts)
    departures = engagement.contact_departure_days(ctx, accounts, contacts)
    yield (
        "marketing.email_events",
        engagement.email_event_columns(ctx, accounts, contacts, departures),
    )
    yield "community.posts", engagement.post_columns(ctx, accounts, contacts)
    yield "training.enrollments", success.enrollment_columns(ctx, accounts, contacts)
    yield "surveys.responses", success.response_columns(ctx, accounts, contacts, departures)
    orders = commerce.build_orders(ctx, persons)
    yield "support.tickets", support.ticket_columns(ctx, accounts, contacts, persons, orders)
    yield "commerce.orders", commerce.order_columns(ctx, persons, orders)
    yield "commerce.order_items", commerce.order_item_columns(ctx, orders)
    yield "commerce.returns", commerce.return_columns(ctx, orders)
    del accounts, contacts, departures
    sessions, carts, browsing = web.build_sessions(ctx, persons, orders)
    del orders, persons
    yield "commerce.web_sessions", sessions
    del sessions
    yield "commerce.cart_events", web.cart_columns(carts)
    del carts
    yield "commerce.web_events", web_event_columns(ctx, browsing)


def generate(
    out_dir: Path, config: GeneratorConfig, progress: Progress | None = None
) -> dict[str, int]:
    """Write ``out_dir/<source>/<table>.<csv|parquet>`` for every contract table.

    Returns the rows written per ``<source>.<table>`` (dirty rows included).
    ``progress(table_key, done_tables, total_tables)`` is called after each table.
    """
    ctx = Context.from_config(config)
    contracts = raw_tables()
    counts: dict[str, int] = {}
    for key, columns in _build_tables(ctx):
        if key not in contracts:
            raise RuntimeError(f"generator built {key}, which no contract describes")
        contract = contracts[key]
        suffix = file_suffix(config, contract.source)
        table, rows = inject(to_table(contract, columns), contract, ctx, is_csv=suffix == "csv")
        del columns
        write_table(table, Path(out_dir) / contract.source / f"{contract.name}.{suffix}", rows)
        counts[key] = table.num_rows if rows is None else len(rows)
        del table, rows
        pa.default_memory_pool().release_unused()  # hand the freed table back to the system
        if progress is not None:
            progress(key, len(counts), len(contracts))
    missing = set(contracts) - set(counts)
    if missing:
        raise RuntimeError(f"generator has no builder for {sorted(missing)}")
    return counts
