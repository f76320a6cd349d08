"""The generator's purchase process stays off BG/NBD's and Gamma-Gamma's own assumptions.

Each property (seasonality, cohort regimes, dormancy and reactivation, regular buyers, spend
that falls with frequency) is compared with :meth:`PurchaseProcess.bgnbd_like`, where it is off,
so each test fails when its property is removed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sources.generate import generate
from sources.generate.commerce import Orders, build_orders
from sources.generate.common import Context
from sources.generate.config import CohortRegime, PurchaseProcess
from sources.generate.people import People, build_people
from sources.generate.purchases import (
    LOYAL,
    PROMO,
    STANDARD,
    OperationalClock,
    calendar_months,
    month_regimes,
    renewal_events,
)
from tests.sources.test_generate import END, END_TS, _config


def _simulate(
    process: PurchaseProcess | None = None, customers: int = 6_000, history_days: int = 730
) -> tuple[Context, People, Orders]:
    config = _config(customers=customers, history_days=history_days)
    if process is not None:
        config = replace(config, purchases=process)
    ctx = Context.from_config(config)
    people = build_people(ctx)
    return ctx, people, build_orders(ctx, people)


@pytest.fixture(scope="module")
def shaped() -> tuple[Context, People, Orders]:
    return _simulate()


@pytest.fixture(scope="module")
def flat() -> tuple[Context, People, Orders]:
    return _simulate(PurchaseProcess.bgnbd_like())


def _month_share(ctx: Context, orders: Orders, months: list[int]) -> tuple[float, float]:
    """Share of orders in ``months`` (1-12), and the share of history days in them."""
    ordered = pd.to_datetime(orders.ordered_at, unit="s").month
    days = pd.date_range(pd.Timestamp(END) - pd.Timedelta(days=ctx.n_days - 1), END).month
    return float(np.isin(ordered, months).mean()), float(np.isin(days, months).mean())


def _gaps(people: People, orders: Orders) -> tuple[np.ndarray, np.ndarray]:
    """Days between a person's consecutive orders, and whose gap each is."""
    order = np.lexsort((orders.ordered_at, orders.person))
    person, days = orders.person[order], orders.ordered_at[order] / 86_400
    same = person[1:] == person[:-1]
    return np.diff(days)[same], person[1:][same]


def test_orders_peak_in_november_december_and_dip_in_summer(shaped, flat) -> None:
    peak, peak_days = _month_share(shaped[0], shaped[2], [11, 12])
    flat_peak, _ = _month_share(flat[0], flat[2], [11, 12])
    assert peak > peak_days + 0.05 and peak > flat_peak + 0.05
    assert abs(flat_peak - peak_days) < 0.02
    summer, _ = _month_share(shaped[0], shaped[2], [7, 8])
    assert summer < _month_share(flat[0], flat[2], [7, 8])[0] - 0.01


def _repeat_within(people: People, orders: Orders, days: float) -> np.ndarray:
    """Per person: a second order within ``days`` of the first in the data."""
    first = np.full(people.n, np.inf)
    np.minimum.at(first, orders.person, orders.ordered_at / 86_400)
    soon = orders.ordered_at / 86_400 < first[orders.person] + days
    return np.bincount(orders.person[soon], minlength=people.n) >= 2


def test_cohort_regimes_differ_in_repeat_rate(shaped, flat) -> None:
    ctx, people, orders = shaped
    behaviour = people.behaviour
    acquired = (behaviour.birth >= 0) & (behaviour.birth < ctx.n_days - 180)
    repeat = _repeat_within(people, orders, 180)
    rates = {regime: repeat[acquired & (behaviour.regime == regime)].mean() for regime in (1, 2)}
    assert rates[PROMO] < rates[LOYAL] - 0.3
    promo_spend = behaviour.spend[behaviour.regime == PROMO].mean()
    assert promo_spend < behaviour.spend[behaviour.regime == LOYAL].mean() - 0.2
    assert set(np.unique(flat[1].behaviour.regime)) == {STANDARD}
    # promotions acquire more customers per day than standard months
    history = month_regimes(ctx, calendar_months(ctx, np.arange(ctx.n_days - 180.0)))
    per_day = np.bincount(behaviour.regime[acquired], minlength=3) / np.maximum(
        np.bincount(history, minlength=3), 1
    )
    assert per_day[PROMO] > 1.5 * per_day[STANDARD]


def test_a_month_has_one_regime_whatever_the_history_and_november_is_promo() -> None:
    months = np.arange(12 * 54, 12 * 57)  # 2024-2026
    long, short = (Context.from_config(_config(history_days=days)) for days in (730, 91))
    assert (month_regimes(long, months) == month_regimes(short, months)).all()
    assert (month_regimes(long, months[months % 12 == 10]) == PROMO).all()
    assert len(set(month_regimes(long, months))) == 3


def test_some_customers_go_dormant_and_come_back(shaped, flat) -> None:
    def share_with_long_gap(people: People, orders: Orders) -> float:
        gaps, person = _gaps(people, orders)
        longest = np.zeros(people.n)
        np.maximum.at(longest, person, gaps)
        buyers = np.bincount(orders.person, minlength=people.n) >= 2
        return float((longest[buyers] > 270).mean())

    shaped_share, flat_share = share_with_long_gap(*shaped[1:]), share_with_long_gap(*flat[1:])
    assert shaped_share > 2 * flat_share and shaped_share > flat_share + 0.02
    assert np.isfinite(shaped[1].behaviour.comeback).mean() > 0.05


def _gap_cv(people: People, orders: Orders) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient of variation of inter-purchase times per person with at least 5 gaps."""
    gaps, person = _gaps(people, orders)
    count = np.bincount(person, minlength=people.n)
    mean = np.bincount(person, gaps, people.n) / np.maximum(count, 1)
    square = np.bincount(person, gaps**2, people.n) / np.maximum(count, 1)
    enough = np.flatnonzero(count >= 5)
    cv = np.sqrt(np.maximum(square - mean**2, 0))[enough] / mean[enough]
    return cv, enough


def test_regular_buyers_buy_far_more_regularly_than_poisson(shaped, flat) -> None:
    cv, who = _gap_cv(*shaped[1:])
    regular = shaped[1].behaviour.shape[who] > 1
    assert np.median(cv[regular]) < 0.7 < 0.8 < np.median(cv[~regular])
    flat_cv, _ = _gap_cv(*flat[1:])
    assert (cv < 0.6).mean() > (flat_cv < 0.6).mean() + 0.1


def test_spend_per_order_falls_with_frequency(shaped, flat) -> None:
    def rank_correlation(people: People, orders: Orders) -> float:
        line_total = orders.item_quantity * orders.item_price
        per_order = np.bincount(orders.item_order, line_total, len(orders.person))
        count = np.bincount(orders.person, minlength=people.n)
        spent = np.bincount(orders.person, per_order, people.n)
        buyers = count >= 2
        frame = pd.DataFrame({"orders": count[buyers], "value": spent[buyers] / count[buyers]})
        return float(frame.corr(method="spearman").iloc[0, 1])

    shaped_rho, flat_rho = rank_correlation(*shaped[1:]), rank_correlation(*flat[1:])
    assert shaped_rho < -0.03 and shaped_rho < flat_rho - 0.1


@pytest.mark.parametrize("months", [3, 6, 9, 12, 18])
def test_history_days_sets_the_span_of_orders(months: int) -> None:
    days = round(months * 30.44)
    _, _, orders = _simulate(customers=800, history_days=days)
    stamps = pd.to_datetime(orders.ordered_at, unit="s")
    start = pd.Timestamp(END) - pd.Timedelta(days=days - 1)
    assert stamps.min() >= start and stamps.max() < END_TS
    assert stamps.min() < start + pd.Timedelta(days=7) and stamps.max() > END_TS - pd.Timedelta(
        days=7
    )
    assert stamps.to_period("M").nunique() >= months


def test_a_three_month_history_writes_every_table(tmp_path: Path) -> None:
    counts = generate(tmp_path, _config(customers=300, history_days=91))
    assert min(counts.values()) > 0


def test_renewal_events_start_each_spell_and_follow_the_gamma_shape() -> None:
    rng = np.random.default_rng(1)
    n = 400
    start, stop = np.zeros(n), np.full(n, 2_000.0)
    start[0], stop[1] = 5_000.0, 0.0  # no room: no events
    spell, time = renewal_events(rng, start, stop, np.full(n, 0.1), np.full(n, 4.0), np.zeros(n))
    assert not np.isin([0, 1], spell).any()
    assert (time < stop[spell]).all() and np.isin(np.arange(2, n), spell[time == 0]).all()
    order = np.lexsort((time, spell))
    spell, time = spell[order], time[order]
    gaps = np.diff(time)[spell[1:] == spell[:-1]]
    assert abs(gaps.mean() - 10.0) < 0.3 and abs(gaps.std() / gaps.mean() - 0.5) < 0.03
    slowed, _ = renewal_events(rng, start, stop, np.full(n, 0.1), np.full(n, 4.0), np.ones(n))
    assert len(slowed) < 0.8 * len(spell)


def test_the_operational_clock_runs_fast_in_busy_months_and_round_trips() -> None:
    clock = OperationalClock(Context.from_config(_config()))
    days = np.array([-3.0, 0.0, 17.5, 400.25, 729.0])
    assert np.allclose(clock.to_day(clock.to_operational(days[1:])), days[1:])
    assert clock.to_operational(days)[0] == -3.0 and clock.cdf[-1] == pytest.approx(730)
    speed = np.diff(clock.cdf)
    december = pd.date_range(end=END, periods=730).month == 12
    assert speed[december].mean() > 1.4 * speed[~december].mean()


def test_purchase_process_and_history_are_checked() -> None:
    with pytest.raises(ValueError, match="history_days must be at least 28"):
        _config(history_days=10)
    with pytest.raises(ValueError, match=r"reactivation_share must be a share in 0\.\.1"):
        PurchaseProcess(reactivation_share=1.5)
    with pytest.raises(ValueError, match=r"promo\.share \+ loyal\.share must not exceed 1"):
        PurchaseProcess(promo=CohortRegime(share=0.7), loyal=CohortRegime(share=0.6))
    with pytest.raises(ValueError, match="regular_shape must be positive"):
        PurchaseProcess(regular_shape=0)
