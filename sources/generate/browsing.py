"""Browsing inside web sessions: browser cookies, product views and site searches.

Views and searches lean to the person's favourite category (anonymous visitors: a random one),
so what a person looks at predicts what they buy; every product added to a cart was viewed
just before, so intent signals lead to cart adds and purchases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.commerce import catalog, product_ids
from sources.generate.common import Columns, Context, ids, pick, ragged_index
from sources.generate.formats import with_nulls

WEB_EVENT_TYPES = ("product_view", "search")
VIEW, SEARCH = 0, 1
_DAY = 86_400


def cookies(
    rng: np.random.Generator, device: pa.Array, start: np.ndarray, is_app: np.ndarray
) -> tuple[pa.Array, pa.Array]:
    """(device id, cookie id) per session: web sessions carry a first-party cookie that lives
    ``COOKIE_LIFETIME_DAYS``; a share of them have no device id (fingerprinting blocked)."""
    period = pc.cast(pa.array(start // (k.COOKIE_LIFETIME_DAYS * _DAY)), pa.string())
    cookie = pc.binary_join_element_wise(
        pc.replace_substring(device, "dev-", "ck-"), "-", period, ""
    )
    cookie = with_nulls(cookie, is_app)
    cookie_only = ~is_app & (rng.random(len(start)) < k.COOKIE_ONLY_SESSION_SHARE)
    return with_nulls(device, cookie_only), cookie


@dataclass
class Browsing:
    """What the web events of the sessions are drawn from.

    ``start``/``end``/``favourite`` are per session in the session builder's unsorted order,
    ``cart_adds`` is (session, product, time) of every cart add, ``rank`` maps an unsorted
    session to its position in the written (time-sorted) session list.
    """

    start: np.ndarray
    end: np.ndarray
    favourite: np.ndarray
    cart_adds: tuple[np.ndarray, np.ndarray, np.ndarray]
    rank: np.ndarray


def web_event_columns(ctx: Context, browsing: Browsing) -> Columns:
    """The ``commerce.web_events`` table (the largest one: built alone, freed as it goes)."""
    start, end, favourite = browsing.start, browsing.end, browsing.favourite
    cart_adds, rank = browsing.cart_adds, browsing.rank
    rng = ctx.rng("commerce.web_events")
    category_of, _ = catalog(ctx)
    n_categories = len(k.CATEGORIES)
    per_category = k.N_PRODUCTS // n_categories
    n = len(start)
    span = np.maximum(end - start, 60)

    # a view of each product just before it went into a cart
    add_session, add_product, add_at = cart_adds
    viewed_at = np.maximum(add_at - rng.integers(20, 120, len(add_at)), start[add_session])

    # browsing views, mostly in the favourite category
    counts = rng.poisson(k.PRODUCT_VIEWS_PER_SESSION, n)
    session, _ = ragged_index(counts)
    category = np.where(
        rng.random(len(session)) < k.FAVOURITE_CATEGORY_SHARE,
        favourite[session],
        rng.integers(0, n_categories, len(session)),
    )
    product = category + n_categories * rng.integers(0, per_category, len(session))
    at = start[session] + (rng.random(len(session)) * span[session]).astype(np.int64)

    # searches early in the session
    searching = np.flatnonzero(rng.random(n) < k.SEARCH_SESSION_SHARE)
    s_counts = 1 + rng.poisson(0.4, len(searching))
    s_index, s_pos = ragged_index(s_counts)
    s_session = searching[s_index]
    s_category = np.where(
        rng.random(len(s_session)) < k.FAVOURITE_CATEGORY_SHARE,
        favourite[s_session],
        rng.integers(0, n_categories, len(s_session)),
    )
    s_at = start[s_session] + 10 + s_pos * rng.integers(20, 90, len(s_session))
    word = rng.integers(0, len(k.SEARCH_WORDS), len(s_session))

    all_session = np.concatenate([add_session, session, s_session])
    all_product = np.concatenate([add_product, product, np.full(len(s_session), -1)])
    all_category = np.concatenate([category_of[add_product], category, s_category])
    all_at = np.minimum(np.concatenate([viewed_at, at, s_at]), ctx.end_ts - 1)
    kind = np.concatenate(
        [np.full(len(add_session) + len(session), VIEW), np.full(len(s_session), SEARCH)]
    )
    query = pc.binary_join_element_wise(
        pick(k.SEARCH_WORDS, word), " ", pick(k.CATEGORIES, s_category), ""
    )
    query_all = pa.concat_arrays([pa.nulls(len(all_session) - len(s_session), pa.string()), query])
    # at a million customers each of these arrays is 400 MB: free each as soon as it is used
    del session, category, product, at, s_session, s_category, s_at, word, query, viewed_at
    written = rank[all_session] + 1
    del all_session
    order = np.lexsort((written, all_at))
    taken = pa.array(order)
    columns: Columns = {"web_event_id": np.arange(1, len(order) + 1, dtype=np.int64)}
    columns["session_id"] = ids("ws", written[order], 9)
    del written
    kind = kind[order]
    is_search = kind == SEARCH
    columns["event_type"] = pick(WEB_EVENT_TYPES, kind)
    del kind
    columns["product_id"] = with_nulls(product_ids(np.maximum(all_product[order], 0)), is_search)
    del all_product, is_search
    columns["category"] = pick(k.CATEGORIES, all_category[order])
    del all_category
    columns["search_query"] = query_all.take(taken)
    del query_all, taken
    columns["occurred_at"] = all_at[order]
    return columns
