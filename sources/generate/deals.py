"""Opportunities and their stage history.

Deals move prospecting -> qualification -> proposal -> negotiation and close won or lost.
The win chance falls with the deal's slowness (long stage durations), with weak reps, by
segment and lead source, and for the declining segment in the latest 91 days. Slow deals that
have not closed by the end stay open, stalled in their current stage.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.common import Columns, Context, choice, ids, money, pick
from sources.generate.crm import account_ids, company_names, rep_index, user_ids
from sources.generate.formats import with_nulls

WON, LOST = 4, 5
N_OPEN_STAGES = 4
LATEST_QUARTER_DAYS = 91


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def build_deals(ctx: Context, accounts: Accounts) -> tuple[Columns, Columns]:
    """The ``crm.opportunities`` and ``crm.opportunity_stage_history`` tables."""
    rng = ctx.rng("crm.opportunities")
    per_account = rng.poisson(k.OPPORTUNITIES_PER_ACCOUNT, accounts.n)
    account = np.repeat(np.arange(accounts.n), per_account)
    n = len(account)
    segment = accounts.segment[account]
    opp_type = np.where(accounts.is_customer[account], choice(rng, n, (0.2, 0.45, 0.35)), 0)
    source = choice(rng, n, k.LEAD_SOURCE_P)
    owner = np.where(
        rng.random(n) < 0.8, accounts.owner[account], rng.integers(0, ctx.scale.reps, n)
    )
    created = np.floor(np.maximum(accounts.created[account], 0) + rng.random(n) * ctx.n_days)
    created = np.minimum(created, ctx.n_days - 1)

    slowness = rng.lognormal(0.0, 0.6, n) * np.where(rng.random(n) < 0.08, 4.0, 1.0)
    durations = np.asarray(k.STAGE_MEDIAN_DAYS) * slowness[:, None] * rng.lognormal(0, 0.35, (n, 4))
    entered = created[:, None] + np.concatenate(
        [np.zeros((n, 1)), np.cumsum(durations, axis=1)], axis=1
    )
    full_close = entered[:, N_OPEN_STAGES]
    logit = (
        0.6
        + accounts.rep_logit[owner]
        + np.asarray(k.SEGMENT_WIN_LOGIT)[segment]
        + np.asarray(k.LEAD_SOURCE_WIN_LOGIT)[source]
        + np.where(opp_type == 2, 1.0, 0.0)
        + k.STALL_LOGIT * np.log(slowness)
    )
    declining = (segment == k.SEGMENTS.index(k.DECLINING_SEGMENT)) & (
        full_close >= ctx.n_days - LATEST_QUARTER_DAYS
    )
    logit = logit + np.where(declining, k.DECLINE_LOGIT, 0.0)
    won = rng.random(n) < _sigmoid(logit)
    lost_after = choice(rng, n, (0.3, 0.3, 0.25, 0.15))  # stages passed through before losing
    n_stages = np.where(won, N_OPEN_STAGES, lost_after + 1)  # open stages entered
    # lost deals linger in their last stage before someone closes them out
    linger = np.where(won, 0.0, durations[np.arange(n), n_stages - 1] * (k.LOST_LINGER - 1))
    close_day = entered[np.arange(n), n_stages] + linger
    entered[np.arange(n), n_stages] = close_day
    is_closed = close_day < ctx.n_days

    # stage history: open stages entered before the end, plus the closing row
    stage_idx = np.arange(N_OPEN_STAGES + 1)[None, :]
    entered_mask = (stage_idx < n_stages[:, None]) & (entered < ctx.n_days)
    closing = (stage_idx == n_stages[:, None]) & is_closed[:, None]
    rows = entered_mask | closing
    h_opp, h_pos = np.nonzero(rows)
    h_stage = np.where(h_pos == n_stages[h_opp], np.where(won[h_opp], WON, LOST), h_pos)
    h_at = ctx.to_ts(entered[h_opp, h_pos]) + rng.integers(28_800, 64_800, len(h_opp))
    h_at = np.minimum(h_at, ctx.end_ts - 1)  # a stage entered on the last day stays inside it
    base = np.asarray([8_000.0, 35_000.0, 150_000.0])[segment] * rng.lognormal(0, 0.5, n)
    amount = money(base * np.where(opp_type == 2, 0.8, 1.0))
    h_amount = money(amount[h_opp] * np.where(h_pos >= 2, 1.0, rng.uniform(0.8, 1.2, len(h_opp))))

    current = np.zeros(n, dtype=np.int64)
    np.maximum.at(current, h_opp, h_stage)
    last_change = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_change, h_opp, h_at)
    opened = ctx.to_ts(created) + 28_800
    expected_close = np.where(
        is_closed, close_day, np.maximum(created + 45 * np.median(slowness), ctx.n_days + 14)
    )
    changer = np.where(
        rng.random(len(h_opp)) < 0.9,
        rep_index(ctx, owner[h_opp]),
        rng.integers(0, ctx.scale.managers, len(h_opp)),
    )
    opportunities: Columns = {
        "opportunity_id": ids("OPP", np.arange(1, n + 1), 7),
        "account_id": account_ids(account),
        "owner_user_id": user_ids(rep_index(ctx, owner)),
        "opportunity_name": _names(account, opp_type),
        "opportunity_type": pick(k.OPPORTUNITY_TYPES, opp_type),
        "lead_source": pick(k.LEAD_SOURCES, source),
        "stage": pick(k.STAGES, current),
        "amount": amount,
        "probability": np.asarray(k.STAGE_PROBABILITY)[current],
        "competitor": with_nulls(
            pick(k.COMPETITORS, rng.integers(0, len(k.COMPETITORS), n)), rng.random(n) < 0.6
        ),
        "created_at": opened,
        "close_date": (np.floor(expected_close) + ctx.start_day).astype(np.int64),
        "closed_at": np.where(is_closed, last_change, np.nan),
        "updated_at": np.minimum(np.maximum(last_change, opened), ctx.end_ts - 1),
    }
    history: Columns = {
        "history_id": ids("OSH", np.arange(1, len(h_opp) + 1), 8),
        "opportunity_id": ids("OPP", h_opp + 1, 7),
        "stage": pick(k.STAGES, h_stage),
        "amount": h_amount,
        "changed_by_user_id": user_ids(changer),
        "changed_at": h_at,
    }
    return opportunities, history


def _names(account: np.ndarray, opp_type: np.ndarray) -> pa.Array:
    """Deal names like ``Globex Labs 1 - upsell``."""
    return pc.binary_join_element_wise(
        company_names(account), pick(k.OPPORTUNITY_TYPES, opp_type), " - "
    )
