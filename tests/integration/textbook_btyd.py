"""BG/NBD + Gamma-Gamma fitted the textbook way, in the test: daily transactions, time in weeks,
Gamma-Gamma on repeat days only. An independent check of the baseline a backtest reports."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ml.baselines.btyd import (
    bgnbd_expected_purchases,
    bgnbd_probability_no_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)


def textbook_btyd(calibration: pd.DataFrame, as_of: dt.date, horizon_days: int) -> pd.DataFrame:
    """Per customer of ``calibration`` (columns customer, timestamp, amount): the probability
    of no purchase in the next ``horizon_days`` (``churn``) and the expected revenue
    (``revenue``), as of ``as_of``."""
    days = calibration.assign(day=calibration["timestamp"].dt.normalize())
    daily = days.groupby(["customer", "day"], as_index=False)["amount"].sum()
    end = pd.Timestamp(as_of, tz="UTC")
    summary = daily.groupby("customer").agg(
        first=("day", "min"), last=("day", "max"), n=("day", "size")
    )
    x = (summary["n"] - 1).to_numpy(dtype=float)
    t_x = ((summary["last"] - summary["first"]).dt.days / 7.0).to_numpy()
    big_t = ((end - summary["first"]).dt.days / 7.0).to_numpy()
    params = fit_bgnbd(x, t_x, big_t)
    ordered = daily.sort_values(["customer", "day"])
    repeats = ordered[ordered.groupby("customer").cumcount() > 0]
    repeat_value = repeats.groupby("customer")["amount"].mean()
    m = repeat_value.reindex(summary.index).fillna(0.0).to_numpy()
    repeaters = x > 0
    spend_params = fit_gamma_gamma(x[repeaters], m[repeaters])
    horizon = horizon_days / 7.0
    expected = bgnbd_expected_purchases(params, horizon, x, t_x, big_t)
    spend = gamma_gamma_expected_spend(spend_params, x, m)
    spend = np.where(repeaters, spend, daily["amount"].mean())
    return pd.DataFrame(
        {
            "churn": bgnbd_probability_no_purchase(params, horizon, x, t_x, big_t),
            "revenue": expected * spend,
        },
        index=summary.index,
    )
