"""Marketing email events and community posts of account contacts.

Both follow the accounts' hidden churn state: in the decline before a cancellation contacts
open fewer emails, post less and complain more, name competitors more often, and some leave the
company - their address then hard-bounces (stakeholder turnover).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.common import Columns, Context, SeasonalClock, ids, pick
from sources.generate.crm import Contacts, account_ids
from sources.generate.formats import with_nulls
from sources.generate.product import daily_counts

HOUR = 3_600
EVENT_TYPES = ("delivered", "open", "click", "bounce", "unsubscribe")
BOUNCE_TYPES = ("hard", "soft")
TITLES = {
    "question": ("How do I share a dashboard?", "API rate limits?", "Exporting to CSV"),
    "answer": ("Re: sharing dashboards", "Re: API limits", "Re: exports"),
    "idea": ("Idea: scheduled exports", "Idea: dark mode", "Idea: more integrations"),
    "feedback": ("Reports are slow", "The new editor is confusing", "Missing audit log"),
    "praise": ("Loving the new dashboards", "Great support experience", "Alerts saved us"),
}
MENTIONS = (
    "We are also evaluating {name} for this.",
    "{name} offers this out of the box.",
    "Our team used {name} before and it handled this better.",
)


def contact_departure_days(ctx: Context, accounts: Accounts, contacts: Contacts) -> np.ndarray:
    """The day each contact leaves the account (inf when never, may lie outside the history).

    A steady turnover for every account from the start of the history (earlier departures were
    replaced before it), plus a share of a churning account's contacts leaving during its
    decline window.
    """
    rng = ctx.rng("contacts.departures")
    account = contacts.account
    n = len(account)
    joined = np.maximum(accounts.created[account], 0)
    steady = joined + rng.exponential(k.CONTACT_TENURE_DAYS, n)
    begin = accounts.cancel[account] - accounts.decline_days[account] - 30
    in_decline = begin + rng.random(n) * (accounts.decline_days[account] + 30)
    leaves = np.isfinite(accounts.cancel[account]) & (
        rng.random(n) < k.CONTACT_LEAVES_BEFORE_CHURN_P
    )
    return np.floor(np.where(leaves, np.minimum(steady, in_decline), steady))


def email_event_columns(
    ctx: Context, accounts: Accounts, contacts: Contacts, departures: np.ndarray
) -> Columns:
    """The ``marketing.email_events`` table: one row per delivery, open, click, bounce."""
    rng = ctx.rng("marketing.email_events")
    customers = np.flatnonzero(accounts.is_customer)
    per_day = k.MARKETING_EMAILS_PER_CONTACT_WEEK / 7 * contacts.count[customers]
    account, day = daily_counts(ctx, accounts, per_day, 0.0, "marketing.email_events.sends")
    contact = contacts.start[account] + (rng.random(len(account)) * contacts.count[account]).astype(
        np.int64
    )
    # After its first hard bounce an address is suppressed: no later sends to it.
    gone = day >= departures[contact]
    by_contact = np.lexsort((day, contact))
    first_gone = np.zeros(len(day), dtype=bool)
    gone_sorted = gone[by_contact]
    previous_gone = np.concatenate([[False], gone_sorted[:-1]]) & (
        np.concatenate([[-1], contact[by_contact][:-1]]) == contact[by_contact]
    )
    first_gone[by_contact] = gone_sorted & ~previous_gone
    sendable = ~gone | first_gone
    account, day, contact = account[sendable], day[sendable], contact[sendable]
    n = len(account)
    sent = SeasonalClock(ctx, "b2b").timestamps(rng, day)
    decline = accounts.decline(day, account)
    hard = day >= departures[contact]
    soft = ~hard & (rng.random(n) < k.EMAIL_SOFT_BOUNCE_P)
    delivered = ~hard & ~soft
    opened = delivered & (rng.random(n) < k.EMAIL_OPEN_P * (1 - k.EMAIL_OPEN_DECLINE * decline))
    clicked = opened & (rng.random(n) < k.EMAIL_CLICK_P)
    unsubscribed = delivered & (rng.random(n) < k.EMAIL_UNSUBSCRIBE_P)
    open_at = sent + (rng.lognormal(1.0, 1.2, n) * HOUR).astype(np.int64)
    click_at = open_at + rng.integers(5, 600, n)
    unsubscribe_at = sent + rng.integers(60, 48 * HOUR, n)

    send = np.arange(n)
    parts = (
        (delivered, 0, sent),
        (opened, 1, open_at),
        (clicked, 2, click_at),
        (hard | soft, 3, sent + rng.integers(1, 120, n)),
        (unsubscribed, 4, unsubscribe_at),
    )
    row_send = np.concatenate([send[mask] for mask, _, _ in parts])
    row_type = np.concatenate([np.full(int(mask.sum()), kind) for mask, kind, _ in parts])
    row_at = np.concatenate([at[mask] for mask, _, at in parts])
    keep = row_at < ctx.end_ts
    row_send, row_type, row_at = row_send[keep], row_type[keep], row_at[keep]
    order = np.lexsort((row_type, row_at))
    row_send, row_type, row_at = row_send[order], row_type[order], row_at[order]
    rows = len(row_send)
    bounce_type = np.where(hard[row_send], 0, 1)
    week = (day[row_send] // 7).astype(np.int64)
    return {
        "event_id": np.arange(1, rows + 1, dtype=np.int64),
        "message_id": ids("MSG", row_send + 1, 9),
        "account_id": account_ids(account[row_send]),
        "recipient_email": pc.take(contacts.email, pa.array(contact[row_send])),
        "campaign_id": ids("CMP", week + 1, 4),
        "event_type": pick(EVENT_TYPES, row_type),
        "bounce_type": pick(BOUNCE_TYPES, bounce_type, mask=row_type != 3),
        "occurred_at": row_at,
    }


def post_columns(ctx: Context, accounts: Accounts, contacts: Contacts) -> Columns:
    """The ``community.posts`` table: fewer posts, more complaints and rivals named before churn."""
    rng = ctx.rng("community.posts")
    customers = np.flatnonzero(accounts.is_customer)
    size = (contacts.count[customers] / np.median(contacts.count[customers])) ** 0.5
    per_day = k.COMMUNITY_POSTS_PER_ACCOUNT_DAY * size * rng.lognormal(0, 0.6, len(customers))
    account, day = daily_counts(ctx, accounts, per_day, -0.6, "community.posts.counts")
    n = len(account)
    decline = accounts.decline(day, account)
    contact = contacts.start[account] + (rng.random(n) * contacts.count[account]).astype(np.int64)
    base = np.asarray(k.COMMUNITY_POST_TYPE_P)
    shift = np.asarray([1.0, 1.0, 1.0, 4.0, 0.0])  # feedback grows, praise vanishes
    weights = base[None, :] * (1 + (shift[None, :] - 1) * decline[:, None])
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    post_type = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), len(base) - 1)
    mentions = rng.random(n) < k.COMPETITOR_MENTION_P + k.COMPETITOR_MENTION_DECLINE * decline
    variant = rng.integers(0, 3, n)
    title_list = [TITLES[kind][v] for kind in k.COMMUNITY_POST_TYPES for v in range(3)]
    title = pick(title_list, post_type * 3 + variant)
    mention_list = [template.format(name=name) for name in k.COMPETITORS for template in MENTIONS]
    mention_index = rng.integers(0, len(mention_list), n)
    body = pc.if_else(
        pa.array(mentions),
        pc.binary_join_element_wise(title, pick(mention_list, mention_index), " "),
        title,
    )
    at = SeasonalClock(ctx, "b2b").timestamps(rng, day)
    order = np.argsort(at, kind="stable")
    unlinked = rng.random(n) < k.COMMUNITY_UNLINKED_SHARE
    return {
        "post_id": np.arange(1, n + 1, dtype=np.int64),
        "account_id": with_nulls(account_ids(account), unlinked).take(pa.array(order)),
        "author_email": pc.take(contacts.email, pa.array(contact[order])),
        "post_type": pick(k.COMMUNITY_POST_TYPES, post_type[order]),
        "title": title.take(pa.array(order)),
        "body": body.take(pa.array(order)),
        "created_at": at[order],
    }
