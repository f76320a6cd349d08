"""MBG/NBD, the posterior intervals and BtydModel: recovery on simulated customers, closed forms
against Monte Carlo, interval coverage, and the model interface scoring needs."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from ml.baselines.btyd import BgNbdParams, GammaGammaParams, bgnbd_probability_alive
from ml.baselines.intervals import churn_interval, revenue_interval
from ml.baselines.mbgnbd import (
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    mbgnbd_log_likelihood,
    mbgnbd_probability_alive,
    mbgnbd_probability_no_purchase,
)
from ml.baselines.simulate import SimulatedCustomers, simulate_bgnbd
from ml.models.btyd import BtydModel, fit_btyd_model, procedure_scores
from tests.ml.conftest import DATA_END, order_cross_sections

TRUE = BgNbdParams(r=0.5, alpha=6.0, a=0.9, b=3.0)
SPEND = GammaGammaParams(p=6.0, q=4.0, v=15.0)
HOLDOUT_WEEKS = 26.0


@pytest.fixture(scope="module")
def mbg_customers() -> SimulatedCustomers:
    rng = np.random.default_rng(7)
    return simulate_bgnbd(
        TRUE, rng.uniform(20, 52, 6000), HOLDOUT_WEEKS, seed=7, drop_after_first=True
    )


def test_mbgnbd_fit_recovers_the_simulated_parameters(mbg_customers: SimulatedCustomers) -> None:
    c = mbg_customers
    fitted = fit_mbgnbd(c.x, c.t_x, c.big_t)
    assert fitted.r == pytest.approx(TRUE.r, rel=0.15)
    assert fitted.alpha == pytest.approx(TRUE.alpha, rel=0.2)
    assert fitted.a == pytest.approx(TRUE.a, rel=0.3)
    assert fitted.b == pytest.approx(TRUE.b, rel=0.4)
    at_fit = mbgnbd_log_likelihood(fitted, c.x, c.t_x, c.big_t).sum()
    assert at_fit >= mbgnbd_log_likelihood(TRUE, c.x, c.t_x, c.big_t).sum()


def test_mbgnbd_closed_forms_match_the_simulation(mbg_customers: SimulatedCustomers) -> None:
    c = mbg_customers
    expected = mbgnbd_expected_purchases(TRUE, HOLDOUT_WEEKS, c.x, c.t_x, c.big_t)
    assert expected.sum() == pytest.approx(c.holdout_purchases.sum(), rel=0.05)
    alive = mbgnbd_probability_alive(TRUE, c.x, c.t_x, c.big_t)
    assert alive.mean() == pytest.approx(c.alive_at_t.mean(), abs=0.015)
    no_purchase = mbgnbd_probability_no_purchase(TRUE, HOLDOUT_WEEKS, c.x, c.t_x, c.big_t)
    assert no_purchase.mean() == pytest.approx((c.holdout_purchases == 0).mean(), abs=0.015)


def test_one_time_buyers_can_be_gone_under_mbgnbd_but_not_bgnbd() -> None:
    x, t_x, big_t = np.zeros(3), np.zeros(3), np.array([1.0, 20.0, 60.0])
    assert np.all(bgnbd_probability_alive(TRUE, x, t_x, big_t) == 1.0)
    mbg = mbgnbd_probability_alive(TRUE, x, t_x, big_t)
    assert np.all(mbg < 1.0) and mbg[0] > mbg[1] > mbg[2]


def test_churn_interval_quantiles_match_the_posterior_mixture() -> None:
    rng = np.random.default_rng(3)
    x, big_t, alive, t = np.array([2.0]), np.array([30.0]), np.array([0.7]), 13.0
    lower, upper = churn_interval(TRUE, alive, t, x, big_t)
    draws = 200_000
    active = rng.random(draws) < alive[0]
    rates = rng.gamma(TRUE.r + x[0], 1.0 / (TRUE.alpha + big_t[0]), draws)
    values = np.where(active, np.exp(-rates * t), 1.0)
    assert lower[0] == pytest.approx(np.quantile(values, 0.1), abs=0.01)
    assert upper[0] == pytest.approx(np.quantile(values, 0.9), abs=0.01)
    assert lower[0] < upper[0]


def test_revenue_interval_covers_about_80_percent_of_simulated_customers(
    mbg_customers: SimulatedCustomers,
) -> None:
    c = mbg_customers
    rng = np.random.default_rng(11)
    value_rates = rng.gamma(SPEND.q, 1.0 / SPEND.v, c.x.size)
    n = c.x + 1
    m = np.array(
        [
            rng.gamma(SPEND.p, 1.0 / rate, int(k)).mean()
            for k, rate in zip(n, value_rates, strict=True)
        ]
    )
    actual = np.array(
        [
            rng.gamma(SPEND.p, 1.0 / rate, int(k)).sum() if k else 0.0
            for k, rate in zip(c.holdout_purchases, value_rates, strict=True)
        ]
    )
    alive = mbgnbd_probability_alive(TRUE, c.x, c.t_x, c.big_t)
    lower, upper = revenue_interval(
        TRUE,
        SPEND,
        p_alive=alive,
        t=HOLDOUT_WEEKS,
        x=c.x,
        t_x=c.t_x,
        big_t=c.big_t,
        n=n,
        m=m,
        dropout_after_first=True,
        seed=5,
    )
    inside = (actual >= lower - 1e-9) & (actual <= upper + 1e-9)
    assert 0.75 <= inside.mean() <= 0.92
    buyers = actual > 0
    assert 0.6 <= inside[buyers].mean() <= 0.95  # not only the zeros are covered
    assert np.all(lower <= upper)

    # A customer's interval is its own: the same alone, in another order or another batch
    # (Spark scores in batches, the events worker one customer at a time).
    def interval(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return revenue_interval(
            TRUE,
            SPEND,
            p_alive=alive[rows],
            t=HOLDOUT_WEEKS,
            x=c.x[rows],
            t_x=c.t_x[rows],
            big_t=c.big_t[rows],
            n=n[rows],
            m=m[rows],
            dropout_after_first=True,
            seed=5,
        )

    some = np.arange(0, 60)
    reversed_lower, reversed_upper = interval(some[::-1])
    np.testing.assert_array_equal(reversed_lower[::-1], lower[some])
    np.testing.assert_array_equal(reversed_upper[::-1], upper[some])
    for row in (0, 17, 59):
        alone = interval(np.array([row]))
        assert (alone[0][0], alone[1][0]) == (lower[row], upper[row])


@pytest.fixture(scope="module")
def sections(shop_orders: pd.DataFrame) -> pd.DataFrame:
    return order_cross_sections(shop_orders, periods=12)


def _latest(sections: pd.DataFrame) -> pd.DataFrame:
    return sections[sections["as_of_date"] == DATA_END].reset_index(drop=True)


@pytest.mark.parametrize("family", ["bgnbd", "mbgnbd"])
def test_btyd_model_scores_every_customer_with_intervals_and_factors(
    sections: pd.DataFrame, family: str
) -> None:
    latest = _latest(sections)
    churn = fit_btyd_model("customer_churn", "classifier", family, latest, 90)  # type: ignore[arg-type]
    revenue = fit_btyd_model("customer_clv", "regressor", family, latest, 90)  # type: ignore[arg-type]
    p = churn.predict(latest)
    assert p.shape == (len(latest),) and np.all((p >= 0) & (p <= 1))
    lower, upper = churn.predict_interval(latest)
    assert np.all(lower <= upper) and np.all((lower >= 0) & (upper <= 1))
    # Long-lapsed customers are likelier to churn than recent ones.
    recency = latest["recency_days"].to_numpy()
    assert (
        p[recency > np.quantile(recency, 0.8)].mean()
        > p[recency < np.quantile(recency, 0.2)].mean()
    )
    spend = revenue.predict(latest)
    assert np.all(spend >= 0) and spend.sum() > 0
    low, high = revenue.predict_interval(latest)
    assert np.all(low <= high) and np.all(low >= 0)
    factors = churn.top_factors(latest, k=3)
    assert set(factors["factor_1_name"]) <= {"recency_days", "frequency", "tenure_days"}
    assert (factors["factor_1_name"] == "recency_days").mean() > 0.3
    assert revenue.version_params["family"] == family
    again = pickle.loads(pickle.dumps(churn))
    assert isinstance(again, BtydModel)
    np.testing.assert_allclose(again.predict(latest), p)


def test_procedure_scores_refit_per_date(sections: pd.DataFrame) -> None:
    dates = sorted(sections["as_of_date"].unique())[-2:]
    rows = sections[sections["as_of_date"].isin(dates)].reset_index(drop=True)
    scores = procedure_scores("customer_churn", "classifier", "bgnbd", rows, 60)
    for day in dates:
        mask = (rows["as_of_date"] == day).to_numpy()
        alone = fit_btyd_model("customer_churn", "classifier", "bgnbd", rows[mask], 60)
        np.testing.assert_allclose(scores[mask], alone.predict(rows[mask]))


def test_too_few_customers_is_a_one_line_reason(sections: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="at least 20 customers"):
        fit_btyd_model("customer_churn", "classifier", "bgnbd", _latest(sections).head(5), 90)
