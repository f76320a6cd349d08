"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma spend models, fitted by maximum likelihood.

No maintained "buy till you die" library installs here, so the two likelihoods are written out
from the papers and maximised with scipy over log-parameters (which keeps every parameter
positive without bounds). Time is in whatever unit the caller passes (the adapters in
``ml.baselines.features`` use weeks, which keeps the scale parameter near 1-100 as in the
published CDNOW fit). Inputs per customer:

* ``x``: repeat purchases (purchase days after the first), ``t_x``: time of the last purchase
  after the first, ``T``: time from the first purchase to the end of the calibration period.
* Gamma-Gamma: ``n`` transactions and their mean value ``m``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

FloatArray = NDArray[np.float64]

_MAX_LOG_PARAM = 12.0


@dataclass(frozen=True)
class BgNbdParams:
    """Purchase rate ~ Gamma(r, alpha); drop-out probability after each repeat ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


#: Per customer (x, t_x, T as arrays): the odds of having dropped out against being active at T.
DropoutOdds = Callable[[BgNbdParams, FloatArray, FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class GammaGammaParams:
    """Transaction value ~ Gamma(p, nu) with nu ~ Gamma(q, v) across customers."""

    p: float
    q: float
    v: float


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    arrays = [np.asarray(value, dtype=np.float64) for value in values]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise ValueError(f"BTYD inputs must have the same length, got shapes {sorted(shapes)}")
    return arrays


def _check_history(x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> None:
    if x.size == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(big_t).all()):
        raise ValueError("BG/NBD inputs x, t_x and T must be finite (no NaN)")
    if (x < 0).any() or (t_x < 0).any() or (t_x > big_t + 1e-9).any():
        raise ValueError("BG/NBD inputs need x >= 0 and 0 <= t_x <= T")


def bgnbd_log_likelihood(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood, equation (6) of Fader, Hardie & Lee (2005)."""
    xs, txs, ts = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + xs)
        - special.gammaln(b)
        - special.gammaln(a + b + xs)
    )
    still_alive = -(r + xs) * np.log(alpha + ts)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped_out = np.where(
            xs > 0,
            np.log(a) - np.log(np.maximum(b + xs - 1, 1e-300)) - (r + xs) * np.log(alpha + txs),
            -np.inf,
        )
    return np.asarray(a1 + a2 + np.logaddexp(still_alive, dropped_out), dtype=np.float64)


def _maximize_likelihood(
    negative_ll: Callable[[FloatArray], float], initial: list[float]
) -> FloatArray:
    """Minimise a mean negative log-likelihood over positive parameters, searched in log space.

    L-BFGS-B first (a few hundred evaluations on these smooth surfaces), then a short
    Nelder-Mead from its answer, which rescues the rare start where the quasi-Newton steps
    stall on a flat ridge; the better of the two is kept.
    """

    def in_log_space(log_params: FloatArray) -> float:
        return negative_ll(np.exp(np.clip(log_params, -_MAX_LOG_PARAM, _MAX_LOG_PARAM)))

    fast = optimize.minimize(in_log_space, np.log(np.array(initial)), method="L-BFGS-B")
    polish = optimize.minimize(
        in_log_space,
        fast.x,
        method="Nelder-Mead",
        options={"maxiter": 600, "xatol": 1e-6, "fatol": 1e-10},
    )
    best = polish.x if polish.fun <= fast.fun else fast.x
    return np.asarray(np.exp(np.clip(best, -_MAX_LOG_PARAM, _MAX_LOG_PARAM)), dtype=np.float64)


def fit_purchase_model(
    log_likelihood: Callable[[BgNbdParams, ArrayLike, ArrayLike, ArrayLike], FloatArray],
    name: str,
    x: ArrayLike,
    t_x: ArrayLike,
    big_t: ArrayLike,
    start: BgNbdParams | None = None,
) -> BgNbdParams:
    """Maximum-likelihood (r, alpha, a, b) of a purchase model with BG/NBD's parameters
    (BG/NBD or MBG/NBD, by ``log_likelihood``), searched in log space.

    ``start`` (e.g. the previous as-of date's fit) only speeds up convergence.
    """
    xs, txs, ts = _arrays(x, t_x, big_t)
    _check_history(xs, txs, ts)
    if not (ts > 0).any():
        raise ValueError(f"{name} needs customers with T > 0 (some history before the cut-off)")
    scale = float(np.mean(ts)) or 1.0

    def negative_ll(values: FloatArray) -> float:
        total = log_likelihood(BgNbdParams(*values), xs, txs, ts).sum()
        return float(-total / xs.size) if np.isfinite(total) else 1e12

    initial = [0.5, scale, 1.0, 1.0] if start is None else [start.r, start.alpha, start.a, start.b]
    r, alpha, a, b = _maximize_likelihood(negative_ll, initial)
    return BgNbdParams(float(r), float(alpha), float(a), float(b))


def fit_bgnbd(
    x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike, start: BgNbdParams | None = None
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters (L-BFGS-B, then a short Nelder-Mead polish)."""
    return fit_purchase_model(bgnbd_log_likelihood, "BG/NBD", x, t_x, big_t, start)


def _still_active_odds(
    params: BgNbdParams, xs: FloatArray, txs: FloatArray, ts: FloatArray
) -> FloatArray:
    """delta_{x>0} * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x): odds of having dropped out."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.maximum(b + xs - 1, 1e-300))
            + (r + xs) * (np.log(alpha + ts) - np.log(alpha + txs))
        )
        odds = np.where(xs > 0, np.exp(np.minimum(log_odds, 700.0)), 0.0)
    return np.asarray(odds, dtype=np.float64)


def bgnbd_probability_alive(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """P(still active at T | x, t_x, T)."""
    return probability_alive(_still_active_odds, params, x, t_x, big_t)


def probability_alive(
    dropout_odds: DropoutOdds, params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """P(still active at T | x, t_x, T) = 1/(1+odds): BG/NBD and MBG/NBD alike."""
    xs, txs, ts = _arrays(x, t_x, big_t)
    return 1.0 / (1.0 + dropout_odds(params, xs, txs, ts))


def bgnbd_expected_purchases(
    params: BgNbdParams, t: float, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """E[purchases in (T, T+t] | x, t_x, T], equation (10) of Fader, Hardie & Lee (2005)."""
    xs, txs, ts = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    ratio = (alpha + ts) / (alpha + ts + t)
    hyper = special.hyp2f1(r + xs, b + xs, a + b + xs - 1, t / (alpha + ts + t))
    numerator = (a + b + xs - 1) / (a - 1) * (1 - ratio ** (r + xs) * hyper)
    return expected_if_alive_weighted(numerator, _still_active_odds(params, xs, txs, ts))


def expected_if_alive_weighted(if_active: FloatArray, dropped_odds: FloatArray) -> FloatArray:
    """Expected purchases if active times P(alive) = 1/(1+odds); undefined and negative -> 0."""
    expected = if_active / (1.0 + dropped_odds)
    return np.asarray(np.clip(np.nan_to_num(expected, nan=0.0), 0.0, None), dtype=np.float64)


def bgnbd_expected_purchases_new(params: BgNbdParams, t: float) -> float:
    """E[repeat purchases in (0, t]] for a customer just acquired, equation (9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyper = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
    return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyper))


def bgnbd_probability_no_purchase(
    params: BgNbdParams, t: float, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """P(no purchase in (T, T+t]) = 1 - P(alive) * (1 - ((alpha+T)/(alpha+T+t))^(r+x))."""
    return probability_no_purchase(_still_active_odds, params, t, x, t_x, big_t)


def probability_no_purchase(
    dropout_odds: DropoutOdds,
    params: BgNbdParams,
    t: float,
    x: ArrayLike,
    t_x: ArrayLike,
    big_t: ArrayLike,
) -> FloatArray:
    """1 - P(alive) * (1 - ((alpha+T)/(alpha+T+t))^(r+x)): BG/NBD and MBG/NBD alike."""
    xs, _, ts = _arrays(x, t_x, big_t)
    alive = probability_alive(dropout_odds, params, x, t_x, big_t)
    no_purchase_if_alive = ((params.alpha + ts) / (params.alpha + ts + t)) ** (params.r + xs)
    return np.asarray(1.0 - alive * (1.0 - no_purchase_if_alive), dtype=np.float64)


def gamma_gamma_log_likelihood(params: GammaGammaParams, n: ArrayLike, m: ArrayLike) -> FloatArray:
    """Per-customer log density of the mean value m of n transactions (Fader et al. 2005)."""
    ns, ms = _arrays(n, m)
    p, q, v = params.p, params.q, params.v
    px = p * ns
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(ms)
        + px * np.log(ns)
        - (px + q) * np.log(ns * ms + v),
        dtype=np.float64,
    )


def fit_gamma_gamma(
    n: ArrayLike, m: ArrayLike, start: GammaGammaParams | None = None
) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from customers with n >= 1 and m > 0."""
    ns, ms = _arrays(n, m)
    usable = np.isfinite(ns) & np.isfinite(ms) & (ns >= 1) & (ms > 0)
    if usable.sum() < 10:
        raise ValueError(
            f"Gamma-Gamma needs at least 10 customers with a positive spend, got {usable.sum()}"
        )
    ns, ms = ns[usable], ms[usable]

    def negative_ll(values: FloatArray) -> float:
        total = gamma_gamma_log_likelihood(GammaGammaParams(*values), ns, ms).sum()
        return float(-total / ns.size) if np.isfinite(total) else 1e12

    initial = [2.0, 3.0, float(np.mean(ms))] if start is None else [start.p, start.q, start.v]
    p, q, v = _maximize_likelihood(negative_ll, initial)
    return GammaGammaParams(float(p), float(q), float(v))


def gamma_gamma_expected_spend(params: GammaGammaParams, n: ArrayLike, m: ArrayLike) -> FloatArray:
    """E[average transaction value | n, m]: a weighted mean of the population mean and m.

    Customers with n = 0 (or no usable m) get the population mean p*v/(q-1).
    """
    ns, ms = _arrays(n, m)
    p, q, v = params.p, params.q, params.v
    population_mean = p * v / (q - 1) if q > 1 else float("nan")
    known = (ns >= 1) & np.isfinite(ms) & (ms > 0)
    safe_n = np.where(known, ns, 0.0)
    safe_m = np.where(known, ms, 0.0)
    individual = p * (v + safe_n * safe_m) / (p * safe_n + q - 1)
    return np.asarray(np.where(known, individual, population_mean), dtype=np.float64)
