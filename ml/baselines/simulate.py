"""Seeded simulators of the BG/NBD and Gamma-Gamma generative stories (for tests and docs).

They draw customers exactly as the models assume, so a fit on simulated data must recover the
parameters it was simulated with, and closed-form expectations must match simulated averages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.baselines.btyd import BgNbdParams, GammaGammaParams


@dataclass(frozen=True)
class SimulatedCustomers:
    """Per customer: calibration summary (x, t_x, T), holdout purchases, alive at T, spends."""

    x: np.ndarray
    t_x: np.ndarray
    big_t: np.ndarray
    holdout_purchases: np.ndarray
    alive_at_t: np.ndarray


def simulate_bgnbd(
    params: BgNbdParams,
    big_t: np.ndarray,
    holdout: float,
    seed: int,
    *,
    drop_after_first: bool = False,
) -> SimulatedCustomers:
    """Draw each customer's purchases over (0, T + holdout]; purchase 0 is the first, at time 0.

    The drop-out coin is tossed after every repeat purchase, as in the BG/NBD likelihood, and
    with ``drop_after_first`` also after the first purchase (MBG/NBD's story).
    """
    rng = np.random.default_rng(seed)
    count = big_t.size
    rates = rng.gamma(params.r, 1.0 / params.alpha, size=count)
    dropout = rng.beta(params.a, params.b, size=count)
    x = np.zeros(count)
    t_x = np.zeros(count)
    future = np.zeros(count)
    alive = np.ones(count, dtype=bool)
    for i in range(count):
        now, end, active = 0.0, big_t[i] + holdout, True
        if drop_after_first and rng.random() < dropout[i]:
            active, alive[i] = False, False
        while active:
            now += rng.exponential(1.0 / rates[i]) if rates[i] > 0 else np.inf
            if now > end:
                break
            if now <= big_t[i]:
                x[i] += 1
                t_x[i] = now
            else:
                future[i] += 1
            if rng.random() < dropout[i]:
                active = False
                if now <= big_t[i]:
                    alive[i] = False
    return SimulatedCustomers(x, t_x, big_t.astype(float), future, alive)


def simulate_gamma_gamma(params: GammaGammaParams, n: np.ndarray, seed: int) -> np.ndarray:
    """Mean value of n transactions per customer (NaN where n = 0)."""
    rng = np.random.default_rng(seed)
    scale_rates = rng.gamma(params.q, 1.0 / params.v, size=n.size)
    means = np.full(n.size, np.nan)
    for i, count in enumerate(n.astype(int)):
        if count > 0:
            means[i] = rng.gamma(params.p, 1.0 / scale_rates[i], size=count).mean()
    return means
