"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also drop out
right after the first purchase, fitted by maximum likelihood.

BG/NBD tosses the drop-out coin after each *repeat* purchase only, so a one-time buyer can
never be inactive and keeps a P(alive) of 1 however long ago they bought; MBG/NBD tosses it
after every purchase, first included. That one change matters on real shops, where most
customers buy once. Derivation, per customer with purchase rate lambda and drop-out p:

    L(lambda, p | x, t_x, T) = (1-p)^(x+1) lambda^x e^(-lambda T)      (still active at T)
                             + p (1-p)^x lambda^x e^(-lambda t_x)       (left after purchase x)

Integrating lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) gives

    L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r)
        * [(alpha+T)^-(r+x) + a/(b+x) * (alpha+t_x)^-(r+x)].

Parameters share ``BgNbdParams`` (r, alpha, a, b); inputs are the same x, t_x, T as BG/NBD.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ml.baselines.btyd import (
    BgNbdParams,
    FloatArray,
    _arrays,
    expected_if_alive_weighted,
    fit_purchase_model,
    probability_alive,
    probability_no_purchase,
)


def mbgnbd_log_likelihood(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood (see the module docstring)."""
    xs, txs, ts = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    rate_part = special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha)
    dropout_part = (
        special.gammaln(a + b)
        + special.gammaln(b + xs + 1)
        - special.gammaln(b)
        - special.gammaln(a + b + xs + 1)
    )
    still_active = -(r + xs) * np.log(alpha + ts)
    left = np.log(a) - np.log(b + xs) - (r + xs) * np.log(alpha + txs)
    return np.asarray(rate_part + dropout_part + np.logaddexp(still_active, left), dtype=np.float64)


def fit_mbgnbd(
    x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike, start: BgNbdParams | None = None
) -> BgNbdParams:
    """Maximum-likelihood MBG/NBD parameters (same optimiser as BG/NBD)."""
    return fit_purchase_model(mbgnbd_log_likelihood, "MBG/NBD", x, t_x, big_t, start)


def _dropped_odds(
    params: BgNbdParams, xs: FloatArray, txs: FloatArray, ts: FloatArray
) -> FloatArray:
    """a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x): odds of having left against being active."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(over="ignore"):
        log_odds = (
            np.log(a) - np.log(b + xs) + (r + xs) * (np.log(alpha + ts) - np.log(alpha + txs))
        )
        return np.asarray(np.exp(np.minimum(log_odds, 700.0)), dtype=np.float64)


def mbgnbd_probability_alive(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """P(still active at T | x, t_x, T); below 1 for one-time buyers too."""
    return probability_alive(_dropped_odds, params, x, t_x, big_t)


def mbgnbd_expected_purchases(
    params: BgNbdParams, t: float, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """E[purchases in (T, T+t] | x, t_x, T].

    Given active at T, the rate's posterior is Gamma(r+x, alpha+T) and the drop-out's
    Beta(a, b+x+1); the expected count of a Poisson process stopped by a geometric drop-out,
    averaged over both, is the BG/NBD form with b+x+1 in place of b+x.
    """
    xs, txs, ts = _arrays(x, t_x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    ratio = (alpha + ts) / (alpha + ts + t)
    hyper = special.hyp2f1(r + xs, b + xs + 1, a + b + xs, t / (alpha + ts + t))
    if_active = (a + b + xs) / (a - 1) * (1 - ratio ** (r + xs) * hyper)
    return expected_if_alive_weighted(if_active, _dropped_odds(params, xs, txs, ts))


def mbgnbd_probability_no_purchase(
    params: BgNbdParams, t: float, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> FloatArray:
    """P(no purchase in (T, T+t]) = 1 - P(alive) * (1 - ((alpha+T)/(alpha+T+t))^(r+x))."""
    return probability_no_purchase(_dropped_odds, params, t, x, t_x, big_t)
