"""Hidden state of the B2B accounts that CRM, billing, product and support tables share.

Customer accounts subscribe; a share cancel inside the history (or just after it, so some are
visibly declining at the end). Over the 60-90 days before cancelling their usage fades, tickets
multiply and escalate, CSAT falls and payments fail or come late. A share of healthy accounts
grow their seats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.generate import constants as k
from sources.generate.common import Context, choice


@dataclass(frozen=True)
class Accounts:
    """Per-account hidden state (index = account number - 1)."""

    segment: np.ndarray
    created: np.ndarray  # day (negative: before history)
    in_history: np.ndarray  # created from a converted lead inside the history
    is_customer: np.ndarray
    cancel: np.ndarray  # cancellation day, inf when none (may lie after history)
    decline_days: np.ndarray
    growth: np.ndarray  # monthly seat growth
    plan: np.ndarray
    seats: np.ndarray  # seats at start
    discount: np.ndarray  # percent
    owner: np.ndarray  # rep index
    csm: np.ndarray  # csm index
    rep_logit: np.ndarray  # per rep win-rate effect

    @property
    def n(self) -> int:
        return len(self.segment)

    def decline(self, day: np.ndarray, account: np.ndarray) -> np.ndarray:
        """0 when healthy, rising linearly to 1 at cancellation over the decline window."""
        begin = self.cancel[account] - self.decline_days[account]
        return np.clip((day - begin) / self.decline_days[account], 0.0, 1.0)

    def seats_at(self, day: np.ndarray, account: np.ndarray) -> np.ndarray:
        months = np.maximum(day - self.created[account], 0.0) / 30.4
        return np.floor(self.seats[account] * (1.0 + self.growth[account]) ** months).astype(
            np.int64
        )

    def active_until(self, n_days: int) -> np.ndarray:
        return np.minimum(self.cancel, n_days)


def build_accounts(ctx: Context) -> Accounts:
    """Draw every account's segment, lifecycle and owners."""
    rng = ctx.rng("b2b.accounts")
    n = ctx.scale.accounts
    segment = choice(rng, n, k.SEGMENT_P)
    in_history = rng.random(n) < k.IN_HISTORY_ACCOUNT_SHARE
    created = np.where(in_history, rng.random(n) * (ctx.n_days - 30), -rng.random(n) * 1_200 - 1)
    created = np.floor(created)
    is_customer = rng.random(n) < k.CUSTOMER_ACCOUNT_SHARE
    first_cancel = np.maximum(created, 0) + 150
    last_cancel = ctx.n_days + 60
    cancels = is_customer & (rng.random(n) < k.CANCEL_SHARE) & (first_cancel < last_cancel)
    cancel_day = np.floor(first_cancel + rng.random(n) * (last_cancel - first_cancel))
    cancel = np.where(cancels, cancel_day, np.inf)
    plan = _plans(rng, segment)
    low, high = np.asarray(k.SEGMENT_SEATS).T
    seats = np.floor(np.exp(rng.uniform(np.log(low[segment]), np.log(high[segment])))).astype(
        np.int64
    )
    upsell = ~cancels & (rng.random(n) < k.UPSELL_SHARE)
    growth = np.where(upsell, rng.uniform(0.02, 0.06, n), 0.0)
    rep_logit = rng.normal(0.0, 0.3, ctx.scale.reps)
    rep_logit[rng.permutation(ctx.scale.reps)[: k.N_WEAK_REPS]] = k.WEAK_REP_LOGIT
    return Accounts(
        segment=segment,
        created=created,
        in_history=in_history,
        is_customer=is_customer,
        cancel=cancel,
        decline_days=rng.integers(k.DECLINE_DAYS[0], k.DECLINE_DAYS[1] + 1, n).astype(np.float64),
        growth=growth,
        plan=plan,
        seats=seats,
        discount=np.where(rng.random(n) < 0.3, rng.choice([5.0, 10.0, 15.0, 20.0], n), 0.0),
        owner=rng.integers(0, ctx.scale.reps, n),
        csm=rng.integers(0, ctx.scale.csms, n),
        rep_logit=rep_logit,
    )


def _plans(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """A plan per account drawn from its segment's plan mix."""
    cumulative = np.cumsum(np.asarray(k.SEGMENT_PLAN_P), axis=1)[segment]
    return (rng.random(len(segment))[:, None] > cumulative).sum(axis=1)
