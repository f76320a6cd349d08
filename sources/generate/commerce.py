"""Commerce orders, order lines and returns.

When people buy is :mod:`sources.generate.purchases` (seasonal, cohort regimes, reactivations,
non-exponential gaps). Each person prefers one category; spend per order varies by person and
falls with purchase frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sources.generate import constants as k
from sources.generate.common import (
    Columns,
    Context,
    SeasonalClock,
    choice,
    ids,
    money,
    pick,
    ragged_index,
)
from sources.generate.formats import with_nulls
from sources.generate.people import People
from sources.generate.purchases import order_days

WEB, APP, STORE_CHANNEL = 0, 1, 2
CHANNELS = ("web", "app", "store")
ORDER_STATUSES = ("completed", "cancelled", "refunded")


@dataclass(frozen=True)
class Orders:
    """Orders (index = order_id - 1) and their lines, shared with the web-session builder."""

    person: np.ndarray
    record: np.ndarray  # shop record index
    ordered_at: np.ndarray  # epoch seconds
    channel: np.ndarray
    item_order: np.ndarray  # order index per line
    item_product: np.ndarray
    item_quantity: np.ndarray
    item_price: np.ndarray


def catalog(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Product category index and list price per product index."""
    rng = ctx.rng("commerce.catalog")
    category = np.arange(k.N_PRODUCTS) % len(k.CATEGORIES)
    median = np.asarray(k.CATEGORY_PRICE_MEDIAN)[category]
    price = np.round(median * rng.lognormal(0.0, 0.45, size=k.N_PRODUCTS), 0) - 0.01
    return category, np.maximum(price, 1.99)


def product_ids(index: np.ndarray) -> pa.Array:
    return ids("SKU-", index + 10_000, 5)


def build_orders(ctx: Context, people: People) -> Orders:
    """Draw every order and its lines."""
    rng = ctx.rng("commerce.orders")
    person, day = order_days(ctx, people.behaviour, rng)
    stamps = SeasonalClock(ctx, "commerce").timestamps(rng, day)
    order = np.argsort(stamps, kind="stable")
    person, stamps = person[order], stamps[order]
    n = len(person)

    has_store = people.store_record[person] >= 0
    channel = choice(rng, n, (0.65, 0.35, 0.0))
    channel[has_store & (rng.random(n) < 0.45)] = STORE_CHANNEL
    record = np.where(
        channel == STORE_CHANNEL, people.store_record[person], people.online_record[person]
    )
    second = people.second_record()[person]
    use_second = (second >= 0) & (channel != STORE_CHANNEL) & (rng.random(n) < 0.3)
    record = np.where(use_second, second, record)

    n_items = 1 + np.minimum(rng.poisson(k.ITEMS_PER_ORDER_EXTRA * people.spend[person]), 11)
    item_order, _ = ragged_index(n_items)
    m = len(item_order)
    _, prices = catalog(ctx)
    favourite = people.favourite[person[item_order]]
    category = np.where(
        rng.random(m) < k.FAVOURITE_CATEGORY_SHARE, favourite, rng.integers(0, len(k.CATEGORIES), m)
    )
    per_category = k.N_PRODUCTS // len(k.CATEGORIES)
    product = category + len(k.CATEGORIES) * rng.integers(0, per_category, m)
    return Orders(
        person=person,
        record=record,
        ordered_at=stamps,
        channel=channel,
        item_order=item_order,
        item_product=product,
        item_quantity=1 + rng.poisson(0.25, m),
        item_price=prices[product],
    )


def order_columns(ctx: Context, people: People, orders: Orders) -> Columns:
    """The ``commerce.orders`` table."""
    rng = ctx.rng("commerce.orders.columns")
    n = len(orders.person)
    subtotal = money(
        np.bincount(
            orders.item_order, weights=orders.item_quantity * orders.item_price, minlength=n
        )
    )
    month = orders.ordered_at.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12
    discount_share = np.where(month >= 10, 2.0 * k.DISCOUNT_SHARE, k.DISCOUNT_SHARE)
    pct = np.where(rng.random(n) < discount_share, rng.choice([0.1, 0.15, 0.2], n), 0.0)
    discount = money(subtotal * pct)
    store_number = orders.person % k.N_STORES + 1
    status = choice(
        rng,
        n,
        (
            1 - k.CANCELLED_ORDER_SHARE - k.REFUNDED_ORDER_SHARE,
            k.CANCELLED_ORDER_SHARE,
            k.REFUNDED_ORDER_SHARE,
        ),
    )
    return {
        "order_id": np.arange(1, n + 1, dtype=np.int64),
        "customer_id": people.customer_ids(orders.record),
        "ordered_at": orders.ordered_at,
        "channel": pick(CHANNELS, orders.channel),
        "store_id": pick_store(store_number, orders.channel != STORE_CHANNEL),
        "status": pick(ORDER_STATUSES, status),
        "subtotal": subtotal,
        "discount_amount": discount,
        "order_total": money(subtotal - discount),
        "currency": pick(("USD",), np.zeros(n, dtype=np.int64)),
    }


def pick_store(store_number: np.ndarray, null_mask: np.ndarray) -> pa.Array:
    """Store ids like ``ST007``; null for online orders."""
    return with_nulls(ids("ST", store_number, 3), null_mask)


def order_item_columns(ctx: Context, orders: Orders) -> Columns:
    """The ``commerce.order_items`` table."""
    categories, _ = catalog(ctx)
    m = len(orders.item_order)
    return {
        "order_item_id": np.arange(1, m + 1, dtype=np.int64),
        "order_id": orders.item_order.astype(np.int64) + 1,
        "product_id": product_ids(orders.item_product),
        "category": pick(k.CATEGORIES, categories[orders.item_product]),
        "quantity": orders.item_quantity,
        "unit_price": orders.item_price,
    }


def return_columns(ctx: Context, orders: Orders) -> Columns:
    """The ``commerce.returns`` table: one returned line on a share of orders."""
    rng = ctx.rng("commerce.returns")
    n = len(orders.person)
    returned = np.flatnonzero(rng.random(n) < k.RETURN_SHARE)
    first_line = np.searchsorted(orders.item_order, returned)
    n_lines = np.bincount(orders.item_order, minlength=n)[returned]
    line = first_line + (rng.random(len(returned)) * n_lines).astype(np.int64)
    returned_at = orders.ordered_at[returned] + rng.integers(3 * 86_400, 30 * 86_400, len(returned))
    keep = returned_at < ctx.end_ts
    returned, line, returned_at = returned[keep], line[keep], returned_at[keep]
    refund = money(orders.item_quantity[line] * orders.item_price[line])
    return {
        "return_id": np.arange(1, len(returned) + 1, dtype=np.int64),
        "order_id": returned.astype(np.int64) + 1,
        "order_item_id": line.astype(np.int64) + 1,
        "refund_amount": refund,
        "reason": pick(k.RETURN_REASONS, rng.integers(0, len(k.RETURN_REASONS), len(returned))),
        "returned_at": returned_at,
    }
