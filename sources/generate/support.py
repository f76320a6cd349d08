"""Support tickets from account users (more, more urgent, escalated and less satisfied before
cancellation) and from shoppers (shipping, returns)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.commerce import Orders
from sources.generate.common import Columns, Context, SeasonalClock, choice, pick
from sources.generate.crm import Contacts, account_ids
from sources.generate.formats import (
    N_EMAIL_STYLES,
    N_PHONE_STYLES,
    format_emails,
    format_phones,
    messy_style,
    with_nulls,
)
from sources.generate.people import People
from sources.generate.product import daily_counts

CATEGORIES = k.TICKET_CATEGORIES_B2B + tuple(
    c for c in k.TICKET_CATEGORIES_SHOP if c not in k.TICKET_CATEGORIES_B2B
)
SUBJECTS = {
    "billing": "Question about my invoice",
    "bug": "Something is broken",
    "how_to": "How do I set this up?",
    "feature_request": "Feature request",
    "outage": "Service is down",
    "shipping": "Where is my order?",
    "returns": "I want to return an item",
}
STATUSES = ("new", "open", "pending", "solved", "closed")
HOUR = 3_600


def ticket_columns(
    ctx: Context, accounts: Accounts, contacts: Contacts, people: People, orders: Orders
) -> Columns:
    """The ``support.tickets`` table."""
    rng = ctx.rng("support.tickets")
    customers = np.flatnonzero(accounts.is_customer)
    per_day = (
        np.full(len(customers), k.B2B_TICKETS_PER_ACCOUNT_YEAR / 365)
        * (accounts.seats[customers] / np.median(accounts.seats[customers])) ** 0.3
    )
    b_account, b_day = daily_counts(ctx, accounts, per_day, 3.0, "support.tickets.counts")
    n_b = len(b_account)
    risk = accounts.decline(b_day, b_account)
    b_at = SeasonalClock(ctx, "b2b").timestamps(rng, b_day)
    contact = contacts.start[b_account] + (rng.random(n_b) * contacts.count[b_account]).astype(
        np.int64
    )

    n_s = min(int(people.n * k.SHOPPER_TICKETS_PER_PERSON), len(orders.person))
    about = np.sort(rng.choice(len(orders.person), n_s, replace=False))
    s_person = orders.person[about]
    s_at = (
        orders.ordered_at[about] + rng.integers(1, 12, n_s) * 86_400 + rng.integers(0, 86_400, n_s)
    )
    keep = s_at < ctx.end_ts
    s_person, s_at = s_person[keep], s_at[keep]
    n_s = len(s_person)

    n = n_b + n_s
    risk_all = np.concatenate([risk, np.zeros(n_s)])
    category = np.concatenate(
        [
            choice(rng, n_b, k.TICKET_CATEGORIES_B2B_P),
            np.asarray([CATEGORIES.index(c) for c in k.TICKET_CATEGORIES_SHOP])[
                choice(rng, n_s, k.TICKET_CATEGORIES_SHOP_P)
            ],
        ]
    )
    channel = rng.integers(0, len(k.TICKET_CHANNELS), n)
    priority = np.minimum(
        choice(rng, n, (0.25, 0.55, 0.15, 0.05)) + (rng.random(n) < 0.7 * risk_all), 3
    )
    escalated = rng.random(n) < 0.04 + 0.35 * risk_all + 0.1 * (priority == 3)
    created = np.concatenate([b_at, s_at])
    first_response = (
        created + (rng.lognormal(1.0, 0.8, n) * HOUR / (1 + priority)).astype(np.int64) + 60
    )
    solve_hours = rng.lognormal(2.5, 1.0, n) * np.where(escalated, 3.0, 1.0) * (1 + risk_all)
    solved = created + (solve_hours * HOUR).astype(np.int64)
    is_solved = solved < ctx.end_ts
    closed = is_solved & (solved < ctx.end_ts - 4 * 86_400)
    status = np.where(closed, 4, np.where(is_solved, 3, choice(rng, n, (0.2, 0.5, 0.3))))
    mean_csat = 4.5 - 2.3 * risk_all - 0.4 * escalated
    csat = np.clip(np.round(rng.normal(mean_csat, 0.7)), 1, 5)
    csat = np.where(is_solved & (rng.random(n) < 0.55), csat, np.nan)

    emails = pc.take(contacts.email, pa.array(contact))
    shop_emails = pc.take(people.email, pa.array(s_person))
    email = pa.concat_arrays([emails, shop_emails])
    email = format_emails(email, messy_style(rng, n, N_EMAIL_STYLES, 0.8))
    phone_digits = np.concatenate([contacts.phone[contact], people.phone[s_person]])
    by_phone = channel == k.TICKET_CHANNELS.index("phone")
    phone = format_phones(phone_digits, rng.integers(0, N_PHONE_STYLES, n))
    order = np.argsort(created, kind="stable")
    account = np.concatenate([b_account, np.zeros(n_s, dtype=np.int64)])
    return {
        "ticket_id": (np.arange(n) + 10_001).astype(np.int64),
        "account_id": with_nulls(account_ids(account), np.arange(n) >= n_b).take(pa.array(order)),
        "requester_email": with_nulls(email, by_phone & (rng.random(n) < 0.6)).take(
            pa.array(order)
        ),
        "requester_phone": with_nulls(phone, ~by_phone).take(pa.array(order)),
        "subject": pick([SUBJECTS[c] for c in CATEGORIES], category[order]),
        "category": pick(CATEGORIES, category[order]),
        "channel": pick(k.TICKET_CHANNELS, channel[order]),
        "priority": pick(k.TICKET_PRIORITIES, priority[order]),
        "status": pick(STATUSES, status[order]),
        "is_escalated": escalated[order],
        "created_at": created[order],
        "first_response_at": np.where(first_response < ctx.end_ts, first_response, np.nan)[order],
        "solved_at": np.where(is_solved, solved, np.nan)[order],
        "csat_score": csat[order],
    }
