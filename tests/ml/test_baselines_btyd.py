"""BG/NBD and Gamma-Gamma: recovery of the published CDNOW parameters and closed forms vs
Monte-Carlo, on customers simulated from the models' own generative stories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.baselines.btyd import (
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_expected_purchases_new,
    bgnbd_log_likelihood,
    bgnbd_probability_alive,
    bgnbd_probability_no_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from ml.baselines.features import DatewiseBtyd, btyd_features, btyd_inputs, fit_btyd
from ml.baselines.simulate import SimulatedCustomers, simulate_bgnbd, simulate_gamma_gamma

#: Fader, Hardie & Lee (2005), CDNOW sample, time in weeks.
CDNOW_BGNBD = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
#: Fader, Hardie & Lee (2005, "RFM and CLV"), CDNOW spend.
CDNOW_GAMMA_GAMMA = GammaGammaParams(p=6.25, q=3.74, v=15.44)
HOLDOUT_WEEKS = 39.0


@pytest.fixture(scope="module")
def cdnow_like() -> SimulatedCustomers:
    """6000 customers acquired over 12 weeks, observed for 27-39 weeks, as in CDNOW."""
    rng = np.random.default_rng(2005)
    return simulate_bgnbd(CDNOW_BGNBD, rng.uniform(27, 39, 6000), HOLDOUT_WEEKS, seed=2005)


def test_bgnbd_fit_recovers_cdnow_parameters(cdnow_like: SimulatedCustomers) -> None:
    fitted = fit_bgnbd(cdnow_like.x, cdnow_like.t_x, cdnow_like.big_t)
    assert fitted.r == pytest.approx(CDNOW_BGNBD.r, rel=0.10)
    assert fitted.alpha == pytest.approx(CDNOW_BGNBD.alpha, rel=0.15)
    assert fitted.a == pytest.approx(CDNOW_BGNBD.a, rel=0.20)
    assert fitted.b == pytest.approx(CDNOW_BGNBD.b, rel=0.30)
    true_ll = bgnbd_log_likelihood(CDNOW_BGNBD, cdnow_like.x, cdnow_like.t_x, cdnow_like.big_t)
    fitted_ll = bgnbd_log_likelihood(fitted, cdnow_like.x, cdnow_like.t_x, cdnow_like.big_t)
    assert fitted_ll.sum() >= true_ll.sum()


def test_gamma_gamma_fit_recovers_cdnow_parameters() -> None:
    transactions = np.random.default_rng(7).integers(1, 8, size=5000).astype(float)
    means = simulate_gamma_gamma(CDNOW_GAMMA_GAMMA, transactions, seed=7)
    fitted = fit_gamma_gamma(transactions, means)
    assert fitted.p == pytest.approx(CDNOW_GAMMA_GAMMA.p, rel=0.15)
    assert fitted.q == pytest.approx(CDNOW_GAMMA_GAMMA.q, rel=0.15)
    assert fitted.v == pytest.approx(CDNOW_GAMMA_GAMMA.v, rel=0.20)
    population_mean = CDNOW_GAMMA_GAMMA.p * CDNOW_GAMMA_GAMMA.v / (CDNOW_GAMMA_GAMMA.q - 1)
    expected = gamma_gamma_expected_spend(CDNOW_GAMMA_GAMMA, transactions, means)
    assert expected.mean() == pytest.approx(np.nanmean(means), rel=0.05)
    # One transaction pulls harder towards the population mean than seven identical ones.
    one, seven = gamma_gamma_expected_spend(CDNOW_GAMMA_GAMMA, [1, 7], [100.0, 100.0])
    assert population_mean < one < seven < 100.0


def test_conditional_expectations_match_simulated_holdout(cdnow_like: SimulatedCustomers) -> None:
    """Law of total expectation: summed conditional predictions equal simulated outcomes."""
    x, t_x, big_t = cdnow_like.x, cdnow_like.t_x, cdnow_like.big_t
    expected = bgnbd_expected_purchases(CDNOW_BGNBD, HOLDOUT_WEEKS, x, t_x, big_t)
    assert expected.sum() == pytest.approx(cdnow_like.holdout_purchases.sum(), rel=0.05)
    alive = bgnbd_probability_alive(CDNOW_BGNBD, x, t_x, big_t)
    assert alive.mean() == pytest.approx(cdnow_like.alive_at_t.mean(), abs=0.015)
    silent = bgnbd_probability_no_purchase(CDNOW_BGNBD, HOLDOUT_WEEKS, x, t_x, big_t)
    assert silent.mean() == pytest.approx((cdnow_like.holdout_purchases == 0).mean(), abs=0.015)
    # Customers the model calls likelier to buy do buy more.
    top = expected >= np.quantile(expected, 0.9)
    assert cdnow_like.holdout_purchases[top].mean() > 3 * cdnow_like.holdout_purchases.mean()


def test_unconditional_expectation_matches_monte_carlo() -> None:
    weeks = 52.0
    fresh = simulate_bgnbd(CDNOW_BGNBD, np.full(20_000, weeks), 0.0, seed=3)
    assert bgnbd_expected_purchases_new(CDNOW_BGNBD, weeks) == pytest.approx(
        fresh.x.mean(), rel=0.05
    )


def test_probabilities_are_probabilities_and_ordered() -> None:
    x, t_x, big_t = [0, 2, 2, 10], [0.0, 30.0, 5.0, 30.0], [30.0, 30.0, 30.0, 30.0]
    alive = bgnbd_probability_alive(CDNOW_BGNBD, x, t_x, big_t)
    silent = bgnbd_probability_no_purchase(CDNOW_BGNBD, 10.0, x, t_x, big_t)
    assert ((alive >= 0) & (alive <= 1)).all() and ((silent >= 0) & (silent <= 1)).all()
    assert alive[0] == 1.0  # no repeat purchase yet: BG/NBD cannot have dropped out
    assert alive[1] > alive[2]  # same frequency, the more recent buyer is likelier alive
    assert silent[1] < silent[2]


def test_bad_inputs_give_one_line_errors() -> None:
    with pytest.raises(ValueError, match="t_x <= T"):
        fit_bgnbd([1, 2], [5.0, 50.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="same length"):
        bgnbd_probability_alive(CDNOW_BGNBD, [1, 2], [1.0], [2.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        fit_bgnbd([1, np.nan], [1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="at least 10 customers"):
        fit_gamma_gamma([1, 2], [10.0, 20.0])


def _order_features(sim: SimulatedCustomers, spend: np.ndarray) -> pd.DataFrame:
    """The dbt order-feature columns a simulated customer would have (days, one order a day)."""
    tenure = np.ceil(sim.big_t * 7)
    span = np.floor(sim.t_x * 7)
    frequency = sim.x + 1
    return pd.DataFrame(
        {
            "as_of_date": pd.Timestamp("2026-01-01"),
            "recency_days": tenure - span,
            "tenure_days": tenure,
            "frequency": frequency,
            "average_order_value": spend,
            "avg_days_between_orders": np.where(sim.x > 0, span / np.maximum(sim.x, 1), np.nan),
        }
    )


def test_order_feature_adapter_and_stacked_features(cdnow_like: SimulatedCustomers) -> None:
    spend = simulate_gamma_gamma(CDNOW_GAMMA_GAMMA, cdnow_like.x + 1, seed=5)
    features = _order_features(cdnow_like, spend)
    inputs = btyd_inputs(features)
    assert (inputs["x"] == cdnow_like.x).mean() > 0.95  # repeats recovered from day rounding
    model = fit_btyd(features)
    assert model.bgnbd.r == pytest.approx(CDNOW_BGNBD.r, rel=0.2)
    stacked = btyd_features(model, features, horizon_days=HOLDOUT_WEEKS * 7)
    assert stacked.notna().all().all()
    revenue = stacked["btyd_expected_orders"] * stacked["btyd_expected_spend"]
    assert np.allclose(stacked["btyd_expected_revenue"], revenue)
    # Refitting per date on the same cross-section reuses the cached fit.
    datewise = DatewiseBtyd(fallback=model)
    first = datewise.features(features, 90.0)
    datewise.features(features, 90.0)
    assert len(datewise.fitted) == 1 and first.notna().all().all()
    with pytest.raises(ValueError, match="missing"):
        btyd_inputs(features.drop(columns="tenure_days"))
