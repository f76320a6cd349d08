"""80 % intervals of the BTYD predictions, from each customer's posterior.

* Churn: P(no purchase in the next t) is itself uncertain for one customer. Given the history,
  the customer has left with probability 1 - P(alive) (then the value is 1), else the value is
  exp(-lambda t) with the rate's posterior lambda ~ Gamma(r + x, alpha + T). The interval is
  that mixture's quantiles, in closed form (``gammaincinv``).
* Revenue: the posterior predictive of the revenue in the next t, drawn by Monte Carlo:
  active or not, lambda and the drop-out p from their posteriors, purchases = min(Poisson(lambda
  t), Geometric(p)) (the drop-out coin after each purchase), and each purchase's value from the
  Gamma-Gamma posterior nu ~ Gamma(p n + q, v + n m). The interval covers the revenue itself, so
  about 80 % of customers' actual revenue falls inside it (tested on simulated customers).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ml.baselines.btyd import BgNbdParams, FloatArray, GammaGammaParams

#: Quantiles of an 80 % interval.
LOWER, UPPER = 0.1, 0.9
#: Monte-Carlo draws per customer for revenue intervals.
REVENUE_DRAWS = 300


def churn_interval(
    params: BgNbdParams,
    p_alive: FloatArray,
    t: float,
    x: FloatArray,
    big_t: FloatArray,
    quantiles: tuple[float, float] = (LOWER, UPPER),
) -> tuple[FloatArray, FloatArray]:
    """(lower, upper) of P(no purchase in t) for each customer (see the module docstring)."""
    shape = params.r + np.asarray(x, dtype=float)
    rate = params.alpha + np.asarray(big_t, dtype=float)
    alive = np.clip(np.asarray(p_alive, dtype=float), 0.0, 1.0)
    bounds = []
    for level in quantiles:
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.clip(1.0 - level / np.where(alive > 0, alive, 1.0), 0.0, 1.0)
            rate_quantile = special.gammaincinv(shape, tail) / rate
        value = np.where(level < alive, np.exp(-rate_quantile * t), 1.0)
        bounds.append(np.asarray(np.nan_to_num(value, nan=1.0), dtype=np.float64))
    return bounds[0], bounds[1]


def revenue_interval(
    params: BgNbdParams,
    spend: GammaGammaParams,
    *,
    p_alive: FloatArray,
    t: float,
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    n: FloatArray,
    m: FloatArray,
    dropout_after_first: bool,
    seed: int = 42,
    draws: int = REVENUE_DRAWS,
    quantiles: tuple[float, float] = (LOWER, UPPER),
) -> tuple[FloatArray, FloatArray]:
    """(lower, upper) of the revenue in t, from ``draws`` posterior-predictive draws each.

    ``dropout_after_first`` is True for MBG/NBD (the drop-out posterior is Beta(a, b + x + 1)
    instead of BG/NBD's Beta(a, b + x)). Each customer's draws come from a generator seeded by
    ``seed`` and the customer's own history (``draw_keys``), so an interval does not depend on
    which other customers are scored in the same call or in what order: Spark scores in
    batches, the events worker one customer at a time, and both give the batch's interval.
    """
    count = len(x)
    lower = np.zeros(count)
    upper = np.zeros(count)
    extra = 1.0 if dropout_after_first else 0.0
    xs = np.asarray(x, dtype=float)
    known = np.isfinite(np.asarray(m, dtype=float)) & (np.asarray(n, dtype=float) >= 1)
    ns = np.where(known, np.asarray(n, dtype=float), 0.0)
    ms = np.where(known, np.asarray(m, dtype=float), 0.0)
    alive = np.asarray(p_alive, dtype=float)
    tenure = np.asarray(big_t, dtype=float)
    keys = draw_keys(xs, t_x, tenure, ns, ms)
    for row in range(count):
        rng = np.random.default_rng([seed, *keys[row]])
        active = rng.random(draws) < alive[row]
        rates = rng.gamma(params.r + xs[row], 1.0, draws) / (params.alpha + tenure[row])
        dropout = rng.beta(params.a, params.b + xs[row] + extra, draws)
        arrivals = rng.poisson(rates * t)
        before_leaving = rng.geometric(np.clip(dropout, 1e-9, 1.0))
        purchases = np.where(active, np.minimum(arrivals, before_leaving), 0)
        value_rates = rng.gamma(spend.p * ns[row] + spend.q, 1.0, draws) / (
            spend.v + ns[row] * ms[row]
        )
        shapes = np.maximum(purchases * spend.p, 1e-12)
        revenue = np.where(purchases > 0, rng.gamma(shapes, 1.0) / value_rates, 0.0)
        lower[row], upper[row] = np.quantile(revenue, quantiles)
    return lower, upper


def draw_keys(
    x: FloatArray, t_x: FloatArray, big_t: FloatArray, n: FloatArray, m: FloatArray
) -> np.ndarray:
    """Each customer's history as whole numbers that every warehouse computes alike: purchase
    counts, recency and tenure in days (the model's weeks times seven), the average order
    value in cents. Two customers with the same history draw alike, as they should."""
    columns = (x, np.asarray(t_x, dtype=float) * 7.0, np.asarray(big_t, dtype=float) * 7.0, n)
    whole = [np.rint(np.nan_to_num(np.asarray(c, dtype=float))) for c in columns]
    cents = np.rint(np.nan_to_num(np.asarray(m, dtype=float)) * 100.0)
    return np.abs(np.column_stack([*whole, cents])).astype(np.int64)
