"""When shoppers buy: cohort regimes, dormancy and reactivation, renewal processes on a
seasonal clock. The knobs are :class:`sources.generate.config.PurchaseProcess`.

Each person buys in up to two active spells: from acquisition until they stop, and, for some
who stop, again after a dormancy (a reactivation). Within a spell the inter-purchase times are
gamma distributed (regular buyers far less dispersed than exponential) on an operational clock
that runs faster in busy months, so demand follows the calendar without losing the regularity.
Gaps stretch before a final stop. The acquisition month sets the cohort's regime (promotion
cohorts buy once and lapse fast, loyal cohorts buy often for long) and spend per order falls
with purchase frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.generate import constants as k
from sources.generate.common import Context
from sources.generate.config import CohortRegime, PurchaseProcess

STANDARD, PROMO, LOYAL = 0, 1, 2
REGIMES = ("standard", "promo", "loyal")
#: People acquired before the history started were acquired up to this many days before.
PRE_HISTORY_DAYS = 540.0
_NOVEMBER = 10  # month of year, January = 0
_MONTHS_FROM_1970 = 12 * 300  # months with a drawn regime, far past any end date


@dataclass(frozen=True)
class Behaviour:
    """Per person: acquisition, cohort regime, buying rate and shape, spells, spend."""

    birth: np.ndarray  # acquisition day (negative: before the history)
    regime: np.ndarray  # STANDARD, PROMO or LOYAL, from the acquisition month
    rate: np.ndarray  # orders per day while active
    shape: np.ndarray  # gamma shape of inter-purchase times (1: exponential)
    dropout: np.ndarray  # end of the first spell; inf when after the history
    comeback: np.ndarray  # start of the second spell; inf when none inside the history
    comeback_end: np.ndarray  # end of the second spell (inf: after the history)
    spend: np.ndarray  # spend multiplier, mean 1


def _regimes(process: PurchaseProcess) -> tuple[CohortRegime, CohortRegime, CohortRegime]:
    standard = CohortRegime(share=max(0.0, 1.0 - process.promo.share - process.loyal.share))
    return standard, process.promo, process.loyal


def month_regimes(ctx: Context, months: np.ndarray) -> np.ndarray:
    """The regime of calendar months (months since 1970-01); the same month, the same regime.

    November is a promotion month whenever promotions are on (Black Friday acquisitions).
    """
    process = ctx.config.purchases
    shares = np.asarray([regime.share for regime in _regimes(process)])
    drawn = ctx.rng("commerce.cohorts").choice(3, size=_MONTHS_FROM_1970, p=shares / shares.sum())
    months = np.asarray(months, dtype=np.int64)
    regime = drawn[np.clip(months, 0, _MONTHS_FROM_1970 - 1)]
    if process.promo.share > 0:
        regime = np.where(months % 12 == _NOVEMBER, PROMO, regime)
    return regime


def calendar_months(ctx: Context, day: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of history days (fractional days allowed)."""
    dates = (np.floor(day).astype(np.int64) + ctx.start_day).astype("datetime64[D]")
    return dates.astype("datetime64[M]").astype(np.int64)


def _acquisition_days(ctx: Context, rng: np.random.Generator, n: int) -> np.ndarray:
    """Acquisition day per person: a share before the history, the rest inside it, with more
    people acquired in promotion months."""
    grid = np.arange(-PRE_HISTORY_DAYS, ctx.n_days, dtype=np.float64)
    factors = np.asarray([regime.acquisition for regime in _regimes(ctx.config.purchases)])
    weight = factors[month_regimes(ctx, calendar_months(ctx, grid))]
    cdf = np.concatenate([[0.0], np.cumsum(weight)])
    edges = np.append(grid, float(ctx.n_days))
    split = cdf[int(PRE_HISTORY_DAYS)]
    before = rng.random(n) < k.ACQUIRED_BEFORE_HISTORY_SHARE
    u = rng.random(n)
    target = np.where(before, u * split, split + u * (cdf[-1] - split))
    return np.interp(target, cdf, edges)


def draw_behaviour(ctx: Context, rng: np.random.Generator, n: int) -> Behaviour:
    """Every person's buying behaviour, from the config's :class:`PurchaseProcess`."""
    process = ctx.config.purchases
    birth = _acquisition_days(ctx, rng, n)
    regime = month_regimes(ctx, calendar_months(ctx, birth))
    regimes = _regimes(process)

    def factor(name: str) -> np.ndarray:
        return np.asarray([getattr(each, name) for each in regimes])[regime]

    lifetime = rng.exponential(k.MEAN_LIFETIME_DAYS * rng.gamma(2.0, 0.5, size=n)) * factor(
        "lifetime"
    )
    lifetime = np.where(rng.random(n) < factor("one_off"), 0.0, lifetime)
    own_rate = rng.gamma(k.PURCHASE_RATE_SHAPE, k.PURCHASE_RATE_SCALE, size=n) / 365.0
    rate = own_rate * factor("rate")
    regular = rng.random(n) < process.regular_share
    shape = np.where(regular, process.regular_shape, process.other_shape)
    dropout = birth + lifetime
    dormancy = rng.gamma(4.0, process.dormancy_days / 4.0, size=n)
    returns = (rng.random(n) < process.reactivation_share) & (dropout + dormancy < ctx.n_days)
    comeback = np.where(returns, dropout + dormancy, np.inf)
    second = rng.exponential(0.5 * k.MEAN_LIFETIME_DAYS, size=n)
    comeback_end = np.where(returns & (comeback + second < ctx.n_days), comeback + second, np.inf)
    # frequent buyers buy smaller baskets; the cohort's spend factor comes on top
    relative_rate = own_rate / np.median(own_rate)
    spend = rng.lognormal(0.0, 0.5, size=n) * factor("spend")
    spend = spend * relative_rate**process.spend_frequency_elasticity
    return Behaviour(
        birth=birth,
        regime=regime,
        rate=rate,
        shape=shape,
        dropout=np.where(dropout >= ctx.n_days, np.inf, dropout),
        comeback=comeback,
        comeback_end=comeback_end,
        spend=spend / spend.mean(),
    )


class OperationalClock:
    """History days to a clock that runs faster on busy days (mean speed 1) and back.

    Outside the history it runs at speed 1.
    """

    def __init__(self, ctx: Context) -> None:
        strength = ctx.config.purchases.season_strength
        days = np.arange(ctx.n_days) + ctx.start_day
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        month = np.array(days, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
        season = 1.0 + strength * (np.asarray(k.COMMERCE_MONTH_FACTOR)[month] - 1.0)
        speed = np.maximum(season, 0.05) * np.asarray(k.COMMERCE_WEEKDAY_FACTOR)[weekday]
        self.n_days = ctx.n_days
        self.grid = np.arange(ctx.n_days + 1, dtype=np.float64)
        self.cdf = np.concatenate([[0.0], np.cumsum(speed / speed.mean())])

    def to_operational(self, day: np.ndarray) -> np.ndarray:
        day = np.asarray(day, dtype=np.float64)
        inside = np.interp(np.clip(day, 0, self.n_days), self.grid, self.cdf)
        return np.where(day < 0, day, np.where(day > self.n_days, day, inside))

    def to_day(self, operational: np.ndarray) -> np.ndarray:
        """Back to history days, for operational times inside the history."""
        return np.interp(operational, self.cdf, self.grid)


def renewal_events(
    rng: np.random.Generator,
    start: np.ndarray,
    stop: np.ndarray,
    rate: np.ndarray,
    shape: np.ndarray,
    slowdown: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(spell index, time) of an event at each spell's start, then after gamma gaps of mean
    ``1 / rate`` until ``stop`` (exclusive). Gaps stretch by ``1 + slowdown * elapsed share``."""
    active = np.flatnonzero(start < stop)
    time = start[active]
    spells, times = [active], [time]
    while active.size:
        scale = 1.0 / (rate[active] * shape[active])
        gap = rng.gamma(shape[active], scale)
        span = stop[active] - start[active]
        elapsed = np.clip((time - start[active]) / np.maximum(span, 1e-9), 0.0, 1.0)
        time = time + gap * (1.0 + slowdown[active] * elapsed)
        going = time < stop[active]
        active, time = active[going], time[going]
        spells.append(active)
        times.append(time)
    return np.concatenate(spells), np.concatenate(times)


def order_days(
    ctx: Context, behaviour: Behaviour, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Person index and fractional history day of every order inside the history."""
    process = ctx.config.purchases
    clock = OperationalClock(ctx)
    n = len(behaviour.birth)
    person = np.concatenate([np.arange(n), np.arange(n)])
    begin = np.concatenate([behaviour.birth, behaviour.comeback])
    end = np.concatenate([behaviour.dropout, behaviour.comeback_end])
    # one-off buyers (a spell of length 0) still place the order that starts the spell
    end = np.where(end <= begin, begin + 1e-6, end)
    final = np.isfinite(end) & ~np.concatenate([np.isfinite(behaviour.comeback), np.zeros(n, bool)])
    horizon = float(ctx.n_days)
    start_op = clock.to_operational(np.minimum(begin, horizon))
    stop_op = clock.to_operational(np.minimum(end, horizon))
    spell, when = renewal_events(
        rng,
        np.where(np.isfinite(begin), start_op, np.inf),
        stop_op,
        np.tile(behaviour.rate, 2),
        np.tile(behaviour.shape, 2),
        np.where(final, process.slowdown, 0.0),
    )
    inside = (when >= 0) & (when < clock.cdf[-1])
    spell, when = spell[inside], when[inside]
    return person[spell], np.minimum(clock.to_day(when), horizon - 1e-6)
