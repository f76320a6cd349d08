"""Product usage events per account user, fading before cancellation, growing with seats."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.common import Columns, Context, SeasonalClock, choice, ids, pick
from sources.generate.crm import Contacts, account_ids


def daily_counts(
    ctx: Context, accounts: Accounts, per_day: np.ndarray, decline_effect: float, key: str
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson event counts per (customer account, day) while subscribed.

    ``per_day`` is the healthy rate per customer account; ``decline_effect`` scales the rate by
    ``1 + decline_effect * decline`` (negative: usage fades, positive: tickets pile up).
    Returns the account index and day of every event.
    """
    rng = ctx.rng(key)
    customers = np.flatnonzero(accounts.is_customer)
    days = np.arange(ctx.n_days, dtype=np.float64)[None, :]
    acc = customers[:, None]
    alive = (days >= accounts.created[acc]) & (days < accounts.cancel[acc])
    weekday = ctx.day_weights("b2b")[None, :]
    growth = (accounts.seats_at(days, acc) / accounts.seats[acc]) ** 0.5
    decline = accounts.decline(days, acc)
    rate = per_day[:, None] * weekday * growth * np.maximum(1.0 + decline_effect * decline, 0.0)
    counts = rng.poisson(np.where(alive, rate, 0.0))
    row, day = np.nonzero(counts)
    repeat = counts[row, day]
    return np.repeat(customers[row], repeat), np.repeat(day, repeat).astype(np.float64)


def usage_columns(ctx: Context, accounts: Accounts, contacts: Contacts) -> Columns:
    """The ``product.usage_events`` table."""
    rng = ctx.rng("product.usage_events")
    customers = np.flatnonzero(accounts.is_customer)
    size = (accounts.seats[customers] / np.median(accounts.seats[customers])) ** 0.4
    per_day = k.USAGE_EVENTS_PER_ACCOUNT_DAY * size * rng.lognormal(0, 0.3, len(customers))
    account, day = daily_counts(ctx, accounts, per_day, -0.9, "product.usage_events.counts")
    n = len(account)
    local = (rng.random(n) * contacts.count[account]).astype(np.int64)
    contact = contacts.start[account] + local
    at = SeasonalClock(ctx, "b2b").timestamps(rng, day)
    order = np.argsort(at, kind="stable")
    account, day, local, contact, at = (a[order] for a in (account, day, local, contact, at))
    session = (account * ctx.n_days + day.astype(np.int64)) * 16 + local
    event = choice(rng, n, k.EVENT_NAME_P)
    duration = np.where(
        event == 0, rng.integers(1, 30, n), rng.lognormal(4.0, 1.0, n).astype(np.int64) + 1
    )
    return {
        "event_id": np.arange(1, n + 1, dtype=np.int64),
        "account_id": account_ids(account),
        "user_email": pc.take(contacts.email, pa.array(contact)),
        "session_id": ids("ps_", session, 10),
        "feature_key": pick(k.FEATURE_KEYS, rng.integers(0, len(k.FEATURE_KEYS), n)),
        "event_name": pick(k.EVENT_NAMES, event),
        "duration_seconds": duration,
        "occurred_at": at,
    }
