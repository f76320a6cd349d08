"""Subscriptions, monthly invoices and payment attempts.

Healthy accounts pay on time by their usual method; accounts in their decline window see
failed attempts, late payments and, near cancellation, uncollectible invoices.
"""

from __future__ import annotations

import numpy as np

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.common import Columns, Context, ids, money, pick
from sources.generate.crm import account_ids
from sources.generate.formats import with_nulls

SUB_STATUSES = ("trialing", "active", "past_due", "canceled")
INVOICE_STATUSES = ("open", "paid", "void", "uncollectible")
PAYMENT_STATUSES = ("succeeded", "failed", "refunded")
PAYMENT_METHODS = ("card", "ach", "wire", "invoice")
DAY = 86_400


def _mrr(accounts: Accounts, account: np.ndarray, seats: np.ndarray) -> np.ndarray:
    price = np.asarray(k.PLAN_SEAT_PRICE)[accounts.plan[account]]
    return money(seats * price)


def subscription_columns(ctx: Context, accounts: Accounts) -> Columns:
    """The ``billing.subscriptions`` table: one per customer account."""
    rng = ctx.rng("billing.subscriptions")
    account = np.flatnonzero(accounts.is_customer)
    n = len(account)
    cancel = accounts.cancel[account]
    canceled = cancel < ctx.n_days
    now = np.minimum(cancel, ctx.n_days - 1)
    seats = accounts.seats_at(now, account)
    started = ctx.to_ts(accounts.created[account]) + 36_000
    in_decline = accounts.decline(np.full(n, ctx.n_days - 1.0), account) > 0.4
    status = np.where(canceled, 3, np.where(in_decline & (rng.random(n) < 0.6), 2, 1))
    status = np.where(accounts.created[account] > ctx.n_days - 15, 0, status)
    canceled_at = np.where(canceled, ctx.to_ts(np.where(canceled, cancel, 0)) + 50_000.0, np.nan)
    discount = accounts.discount[account]
    return {
        "subscription_id": ids("sub_", account + 1, 6),
        "account_id": account_ids(account),
        "plan": pick(k.PLANS, accounts.plan[account]),
        "status": pick(SUB_STATUSES, status),
        "mrr": money(_mrr(accounts, account, seats) * (1 - discount / 100)),
        "discount_pct": discount,
        "seats": seats,
        "started_at": started,
        "canceled_at": canceled_at,
        "cancel_reason": with_nulls(
            pick(k.CANCEL_REASONS, rng.integers(0, len(k.CANCEL_REASONS), n)), ~canceled
        ),
        "updated_at": np.where(
            canceled, canceled_at, ctx.to_ts(now - rng.integers(0, 60, n)) + 3600
        ),
    }


def build_billing(ctx: Context, accounts: Accounts) -> tuple[Columns, Columns]:
    """The ``billing.invoices`` and ``billing.payments`` tables."""
    rng = ctx.rng("billing.invoices")
    customers = np.flatnonzero(accounts.is_customer)
    first = np.maximum(accounts.created[customers], 0)
    last = accounts.active_until(ctx.n_days)[customers]
    months = np.maximum(np.ceil((last - first) / 30.4), 0).astype(np.int64)
    account = np.repeat(customers, months)
    n = len(account)
    month = np.arange(n) - np.repeat(np.cumsum(months) - months, months)
    period = np.floor(np.repeat(first, months) + month * 30.4)
    seats = accounts.seats_at(period, account)
    amount = _mrr(accounts, account, seats)
    discount = money(amount * accounts.discount[account] / 100)
    due_net = money(amount - discount)
    issued = ctx.to_ts(period) + 3_600
    method = np.minimum(accounts.segment[account] + rng.integers(0, 2, n), 3)
    due = issued + np.where(method >= 2, 30, 14) * DAY
    risk = accounts.decline(period + 15, account)

    # payment attempts: an optional failure, then success (late when at risk) or nothing
    fails = rng.random(n) < 0.03 + 0.55 * risk
    gives_up = fails & (rng.random(n) < 0.6 * risk)
    lag_days = np.where(method == 0, rng.integers(0, 2, n), rng.integers(2, 12, n))
    success_at = issued + lag_days * DAY + np.where(fails, rng.integers(10, 40, n) * DAY, 0)
    fail_at = issued + rng.integers(0, 3, n) * DAY + 600
    paid = ~gives_up & (success_at < ctx.end_ts)
    void = rng.random(n) < 0.01
    status = np.where(
        void, 2, np.where(paid, 1, np.where(gives_up & (due < ctx.end_ts - 30 * DAY), 3, 0))
    )
    invoice_no = np.arange(1, n + 1)
    invoices: Columns = {
        "invoice_id": ids("in_", invoice_no, 8),
        "subscription_id": ids("sub_", account + 1, 6),
        "account_id": account_ids(account),
        "amount_due": due_net,
        "discount_amount": discount,
        "status": pick(INVOICE_STATUSES, status),
        "period_start": (period + ctx.start_day).astype(np.int64),
        "issued_at": issued,
        "due_at": due,
    }
    keep_fail = fails & ~void & (fail_at < ctx.end_ts)
    keep_success = paid & ~void
    refunded = keep_success & (rng.random(n) < 0.01)
    parts = [
        (keep_fail, 1, fail_at),
        (keep_success, 0, success_at),
        (refunded, 2, success_at + 5 * DAY),
    ]
    inv = np.concatenate([np.flatnonzero(m) for m, _, _ in parts])
    pstatus = np.concatenate([np.full(m.sum(), s) for m, s, _ in parts])
    at = np.concatenate([t[m] for m, _, t in parts])
    at = np.minimum(at, ctx.end_ts - 1)
    order = np.lexsort((pstatus, at))
    inv, pstatus, at = inv[order], pstatus[order], at[order]
    payments: Columns = {
        "payment_id": ids("py_", np.arange(1, len(inv) + 1), 8),
        "invoice_id": ids("in_", inv + 1, 8),
        "amount": due_net[inv],
        "status": pick(PAYMENT_STATUSES, pstatus),
        "payment_method": pick(PAYMENT_METHODS, method[inv]),
        "paid_at": at,
    }
    return invoices, payments
