"""Web and app sessions with their cart events.

Three kinds of session: purchase sessions (one per web/app order: cart adds for the order's
lines, checkout, a purchase event carrying the order_id), browse sessions of known people
(fading out before a person drops out; some add to cart and leave: abandoned carts) and
anonymous sessions from unknown devices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.browsing import Browsing, cookies
from sources.generate.commerce import STORE_CHANNEL, Orders, catalog, product_ids
from sources.generate.common import (
    Columns,
    Context,
    SeasonalClock,
    choice,
    declining,
    ids,
    pick,
    ragged_index,
)
from sources.generate.formats import with_nulls
from sources.generate.people import SECOND_ONLINE, People

CART_EVENT_TYPES = ("cart_add", "cart_remove", "checkout_started", "purchase")
ADD, REMOVE, CHECKOUT, PURCHASE = 0, 1, 2, 3


@dataclass
class _Events:
    """Cart events referring to sessions by their position in the unsorted session list."""

    session: list[np.ndarray]
    kind: list[np.ndarray]
    product: list[np.ndarray]
    quantity: list[np.ndarray]
    order: list[np.ndarray]
    at: list[np.ndarray]

    def add(
        self,
        session: np.ndarray,
        kind: int,
        product: np.ndarray,
        quantity: np.ndarray,
        order: np.ndarray,
        at: np.ndarray,
    ) -> None:
        self.session.append(session)
        self.kind.append(np.full(len(session), kind))
        self.product.append(product)
        self.quantity.append(quantity)
        self.order.append(order)
        self.at.append(at)


def _browse_people(
    ctx: Context, people: People, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Person and day of every browse session (declining before dropout)."""
    lo = np.maximum(people.birth - 20, 0.0)
    hi = np.minimum(people.dropout + 10, ctx.n_days)
    window = np.maximum(hi - lo, 0.0)
    counts = rng.poisson(k.BROWSE_SESSIONS_PER_ORDER * people.rate * window)
    person, _ = ragged_index(counts)
    u = rng.random(len(person))
    u = np.where(people.churned[person], declining(u), u)
    return person, SeasonalClock(ctx, "commerce").days(lo[person], hi[person], u)


def build_sessions(ctx: Context, people: People, orders: Orders) -> tuple[Columns, Carts, Browsing]:
    """The ``commerce.web_sessions`` columns, and what ``commerce.cart_events`` and
    ``commerce.web_events`` are built from (each built after the one before it is written, so
    that the three never share memory: together they were the generator's peak)."""
    rng = ctx.rng("commerce.web_sessions")
    clock = SeasonalClock(ctx, "commerce")
    _, prices = catalog(ctx)
    events = _Events([], [], [], [], [], [])
    nan = np.float64("nan")

    # purchase sessions, one per online order
    online = np.flatnonzero(orders.channel != STORE_CHANNEL)
    n_p = len(online)
    order_at = orders.ordered_at[online]
    p_start = order_at - rng.integers(300, 2400, n_p)
    line_first = np.searchsorted(orders.item_order, online)
    n_lines = np.bincount(orders.item_order, minlength=len(orders.person))[online]
    s_idx, pos = ragged_index(n_lines)
    line = line_first[s_idx] + pos
    span = (order_at - 120 - p_start)[s_idx]
    add_at = p_start[s_idx] + (span * (pos + 1) / (n_lines[s_idx] + 1)).astype(np.int64)
    none = np.full(len(line), nan)
    events.add(s_idx, ADD, orders.item_product[line], orders.item_quantity[line], none, add_at)
    sess = np.arange(n_p)
    events.add(sess, CHECKOUT, np.full(n_p, -1), np.zeros(n_p), np.full(n_p, nan), order_at - 60)
    events.add(sess, PURCHASE, np.full(n_p, -1), np.zeros(n_p), online + 1.0, order_at)
    p_person = orders.person[online]
    p_signed = (orders.channel[online] != 0) | (rng.random(n_p) < 0.85)
    p_record = orders.record[online]

    # browse sessions of known people
    b_person, b_day = _browse_people(ctx, people, rng)
    n_b = len(b_person)
    b_start = clock.timestamps(rng, b_day)
    b_signed = rng.random(n_b) < 0.4
    b_record = people.online_record[b_person]
    # anonymous sessions
    n_a = int((n_p + n_b) * k.ANONYMOUS_SESSION_SHARE)
    a_start = clock.timestamps(
        rng, clock.days(np.zeros(n_a), np.full(n_a, ctx.n_days), rng.random(n_a))
    )

    # abandoned carts in browse and anonymous sessions
    offset = n_p
    n_other = n_b + n_a
    carting = np.flatnonzero(
        rng.random(n_other) < k.BROWSE_CART_SHARE * np.r_[np.ones(n_b), np.full(n_a, 0.3)]
    )
    other_start = np.concatenate([b_start, a_start])
    fav = np.concatenate([people.favourite[b_person], rng.integers(0, len(k.CATEGORIES), n_a)])
    n_adds = 1 + rng.poisson(0.6, len(carting))
    c_idx, c_pos = ragged_index(n_adds)
    cart_session = carting[c_idx]
    category = np.where(
        rng.random(len(c_idx)) < 0.6,
        fav[cart_session],
        rng.integers(0, len(k.CATEGORIES), len(c_idx)),
    )
    product = category + len(k.CATEGORIES) * rng.integers(
        0, k.N_PRODUCTS // len(k.CATEGORIES), len(c_idx)
    )
    c_at = other_start[cart_session] + 60 + c_pos * rng.integers(30, 300, len(c_idx))
    events.add(
        cart_session + offset,
        ADD,
        product,
        1 + rng.poisson(0.2, len(c_idx)),
        np.full(len(c_idx), nan),
        c_at,
    )
    removed = rng.random(len(c_idx)) < 0.15
    events.add(
        cart_session[removed] + offset,
        REMOVE,
        product[removed],
        np.ones(removed.sum()),
        np.full(removed.sum(), nan),
        c_at[removed] + 45,
    )
    checkout = carting[rng.random(len(carting)) < 0.3]
    events.add(
        checkout + offset,
        CHECKOUT,
        np.full(len(checkout), -1),
        np.zeros(len(checkout)),
        np.full(len(checkout), nan),
        other_start[checkout] + 1800,
    )

    n_all = n_p + n_other
    person = np.concatenate([p_person, b_person, np.full(n_a, -1)])
    record = np.concatenate([p_record, b_record, np.full(n_a, -1)])
    signed = np.concatenate([p_signed, b_signed, np.zeros(n_a, dtype=bool)])
    start = np.concatenate([p_start, other_start])
    has_email = np.concatenate(
        [np.ones(n_p, bool), b_signed | (rng.random(n_b) < 0.08), np.zeros(n_a, bool)]
    )
    page_views = 1 + rng.poisson(4, n_all) + np.r_[n_lines + 2, np.zeros(n_other, dtype=np.int64)]
    end = np.concatenate(
        [
            order_at + rng.integers(30, 300, n_p),
            other_start + page_views[n_p:] * rng.integers(20, 120, n_other),
        ]
    )
    end = np.minimum(end, ctx.end_ts - 1)

    second_device = rng.random(n_all) < 0.3
    device_people = np.maximum(person, 0)
    device = pc.if_else(
        pa.array(
            second_device
            & pc.is_valid(people.second_device).to_numpy(zero_copy_only=False)[device_people]
        ),
        pc.take(people.second_device, pa.array(device_people)),
        pc.take(people.device, pa.array(device_people)),
    )
    anonymous = person < 0
    anon_number = rng.integers(0, max(1, n_a), n_all)[anonymous]
    device = pc.replace_with_mask(
        device, pa.array(anonymous), ids("dev-", 2 * people.n + anon_number, 9)
    )
    uses_alt = (record >= 0) & (people.record_kind[np.maximum(record, 0)] == SECOND_ONLINE)
    email = pc.if_else(
        pa.array(uses_alt),
        pc.take(people.alt_email, pa.array(device_people)),
        pc.take(people.email, pa.array(device_people)),
    )
    email = with_nulls(email, ~has_email)
    app = np.r_[orders.channel[online] == 1, np.zeros(n_other, bool)]
    device_type = np.where(app, 1 + (rng.random(n_all) < 0.2), choice(rng, n_all, k.DEVICE_TYPE_P))

    order = np.argsort(start, kind="stable")
    rank = np.empty(n_all, dtype=np.int64)
    rank[order] = np.arange(n_all)
    device, cookie = cookies(rng, device, start, app)
    kinds = np.concatenate(events.kind)
    adds = kinds == ADD
    cart_adds = (
        np.concatenate(events.session)[adds],
        np.concatenate(events.product)[adds],
        np.concatenate(events.at)[adds],
    )
    favourite = np.concatenate([people.favourite[p_person], fav])
    browsing = Browsing(start, end, favourite, cart_adds, rank)
    taken = pa.array(order)
    sessions: Columns = {"session_id": ids("ws", np.arange(1, n_all + 1), 9)}
    sessions["device_id"] = device.take(taken)
    del device
    sessions["cookie_id"] = cookie.take(taken)
    del cookie
    known = signed & (record >= 0)
    sessions["customer_id"] = np.where(known, people.customer_ids(record), nan)[order]
    sessions["email"] = email.take(taken)
    del email
    sessions["traffic_source"] = pick(k.TRAFFIC_SOURCES, choice(rng, n_all, k.TRAFFIC_SOURCE_P))
    sessions["device_type"] = pick(k.DEVICE_TYPES, device_type[order])
    sessions["page_views"] = page_views[order]
    sessions["started_at"] = start[order]
    sessions["ended_at"] = end[order]
    return sessions, Carts(events, rank, prices), browsing


@dataclass
class Carts:
    """The cart events of the sessions, written after the sessions (see ``cart_columns``)."""

    events: _Events
    rank: np.ndarray
    prices: np.ndarray


def cart_columns(carts: Carts) -> Columns:
    """The ``commerce.cart_events`` table, in session time order."""
    events = carts.events
    session = carts.rank[np.concatenate(events.session)] + 1
    at = np.concatenate(events.at)
    order = np.lexsort((session, at))
    kind = np.concatenate(events.kind)[order]
    product = np.concatenate(events.product)[order]
    no_product = product < 0
    product = np.maximum(product, 0)
    n = len(order)
    return {
        "cart_event_id": np.arange(1, n + 1, dtype=np.int64),
        "session_id": ids("ws", session[order], 9),
        "event_type": pick(CART_EVENT_TYPES, kind),
        "product_id": with_nulls(product_ids(product), no_product),
        "quantity": np.where(no_product, np.nan, np.concatenate(events.quantity)[order]),
        "price": np.where(no_product, np.nan, carts.prices[product]),
        "order_id": np.concatenate(events.order)[order],
        "occurred_at": at[order],
    }
