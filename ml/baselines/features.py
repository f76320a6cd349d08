"""BG/NBD + Gamma-Gamma over the dbt order features: the churn/CLV baseline and stacked features.

The inputs come from one as-of date's point-in-time columns of ``customer_order_features``:

* repeat purchases x = order days after the first. ``frequency`` counts orders, and several
  orders on one day are one BG/NBD transaction, so x = (first-to-last days) /
  ``avg_days_between_orders`` (which averages over order days), 0 with one order day; without
  that column, frequency - 1.
* t_x = tenure_days - recency_days (first to last order day), T = tenure_days.
* Gamma-Gamma: n = frequency orders of mean value ``average_order_value``. The papers use
  repeat orders only; point-in-time features cannot split off the first order, so all count.

Time is converted to weeks, the unit of the published fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.baselines.btyd import (
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_probability_alive,
    bgnbd_probability_no_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)

REQUIRED_COLUMNS = ("recency_days", "frequency", "tenure_days", "average_order_value")
#: Stacked feature names, in order.
BTYD_FEATURES = (
    "btyd_p_alive",
    "btyd_expected_orders",
    "btyd_p_no_purchase",
    "btyd_expected_spend",
    "btyd_expected_revenue",
)
_DAYS_PER_WEEK = 7.0
_MAX_FIT_ROWS = 20_000
MIN_FIT_CUSTOMERS = 20


@dataclass(frozen=True)
class BtydModel:
    """Fitted BG/NBD purchase model and Gamma-Gamma spend model."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams


def has_order_features(frame: pd.DataFrame) -> bool:
    """True when the frame carries the order columns the BTYD models read, with values."""
    return all(
        column in frame.columns and pd.to_numeric(frame[column], errors="coerce").notna().any()
        for column in REQUIRED_COLUMNS
    )


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[name], errors="coerce"), dtype=np.float64)


def btyd_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row x, t_x, T (weeks), n and m; NaN where the order features are missing."""
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"BG/NBD baseline needs order feature columns, missing: {missing}")
    tenure = _column(frame, "tenure_days")
    recency = _column(frame, "recency_days")
    frequency = _column(frame, "frequency")
    span = np.clip(tenure - recency, 0.0, None)
    if "avg_days_between_orders" in frame.columns:
        gap = _column(frame, "avg_days_between_orders")
        with np.errstate(divide="ignore", invalid="ignore"):
            repeats = np.where(gap > 0, np.rint(span / gap), 0.0)
        repeats = np.where(np.isnan(tenure) | np.isnan(recency), np.nan, repeats)
    else:
        repeats = np.clip(frequency - 1.0, 0.0, None)
    repeats = np.where(span > 0, np.maximum(repeats, 1.0), 0.0)
    repeats = np.where(np.isnan(span), np.nan, repeats)
    return pd.DataFrame(
        {
            "x": repeats,
            "t_x": span / _DAYS_PER_WEEK,
            "T": np.clip(tenure, 0.0, None) / _DAYS_PER_WEEK,
            "n": frequency,
            "m": _column(frame, "average_order_value"),
        },
        index=frame.index,
    )


def fit_inputs(frame: pd.DataFrame, *, seed: int, what: str = "BG/NBD baseline") -> pd.DataFrame:
    """The BTYD inputs a fit uses: customers with history, at most 20k of them (sampled)."""
    inputs = btyd_inputs(frame).dropna(subset=["x", "t_x", "T"])
    inputs = inputs[inputs["T"] > 0]
    if len(inputs) < MIN_FIT_CUSTOMERS:
        raise ValueError(
            f"{what} needs at least {MIN_FIT_CUSTOMERS} customers with order history, "
            f"got {len(inputs)}"
        )
    if len(inputs) > _MAX_FIT_ROWS:
        inputs = inputs.sample(_MAX_FIT_ROWS, random_state=seed)
    return inputs


def fit_btyd(frame: pd.DataFrame, *, seed: int = 42, start: BtydModel | None = None) -> BtydModel:
    """Fit both models on one cross-section of order features (at most 20k rows, sampled)."""
    inputs = fit_inputs(frame, seed=seed)
    bgnbd = fit_bgnbd(inputs["x"], inputs["t_x"], inputs["T"], start=start.bgnbd if start else None)
    spend = inputs.dropna(subset=["n", "m"])
    gamma_gamma = fit_gamma_gamma(
        spend["n"], spend["m"], start=start.gamma_gamma if start else None
    )
    return BtydModel(bgnbd, gamma_gamma)


def btyd_features(model: BtydModel, frame: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """P(alive), expected orders, P(no order), expected spend and revenue in the horizon."""
    inputs = btyd_inputs(frame)
    known = inputs[["x", "t_x", "T"]].notna().all(axis=1).to_numpy()
    result = pd.DataFrame(np.nan, index=frame.index, columns=list(BTYD_FEATURES))
    if not known.any():
        return result
    rows = inputs[known]
    horizon = horizon_days / _DAYS_PER_WEEK
    x, t_x, big_t = rows["x"].to_numpy(), rows["t_x"].to_numpy(), rows["T"].to_numpy()
    expected_orders = bgnbd_expected_purchases(model.bgnbd, horizon, x, t_x, big_t)
    spend = gamma_gamma_expected_spend(model.gamma_gamma, rows["n"], rows["m"])
    result.loc[known, "btyd_p_alive"] = bgnbd_probability_alive(model.bgnbd, x, t_x, big_t)
    result.loc[known, "btyd_expected_orders"] = expected_orders
    result.loc[known, "btyd_p_no_purchase"] = bgnbd_probability_no_purchase(
        model.bgnbd, horizon, x, t_x, big_t
    )
    result.loc[known, "btyd_expected_spend"] = spend
    result.loc[known, "btyd_expected_revenue"] = expected_orders * spend
    return result


@dataclass
class DatewiseBtyd:
    """BTYD outputs with parameters refitted on each as-of date's own cross-section.

    That is how a BTYD user runs the model (the calibration period ends at the as-of date), and
    it needs no labels, so it is as available at scoring time as at training time. A date with
    fewer than ``min_rows`` customers (e.g. scoring a single customer) uses ``fallback``, the
    parameters fitted on the training rows. Fits are cached per date and input fingerprint, so
    scoring the same rows twice fits once.
    """

    fallback: BtydModel | None
    min_rows: int = 200
    seed: int = 42
    fitted: dict[str, BtydModel] = field(default_factory=dict)

    def model_for(self, rows: pd.DataFrame, as_of: object) -> BtydModel:
        inputs = btyd_inputs(rows).dropna(subset=["x", "t_x", "T"])
        if len(inputs) < self.min_rows:
            if self.fallback is None:
                return fit_btyd(rows, seed=self.seed)
            return self.fallback
        fingerprint = int(pd.util.hash_pandas_object(inputs, index=False).sum())
        key = f"{as_of}:{len(inputs)}:{fingerprint}"
        if key not in self.fitted:
            self.fitted[key] = fit_btyd(rows, seed=self.seed, start=self.fallback)
        return self.fitted[key]

    def features(self, frame: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
        if "as_of_date" not in frame.columns:
            if self.fallback is None:
                raise ValueError("BTYD features need an as_of_date column")
            return btyd_features(self.fallback, frame, horizon_days)
        parts = [
            btyd_features(self.model_for(rows, as_of), rows, horizon_days)
            for as_of, rows in frame.groupby("as_of_date", sort=True)
        ]
        return pd.concat(parts).reindex(frame.index)


def btyd_baseline_predictions(
    frame: pd.DataFrame, horizon_days: float, *, seed: int = 42
) -> pd.DataFrame:
    """The baseline as a BTYD user runs it: per as-of date, fit on that date's cross-section
    (the calibration period ends at the as-of date) and predict the next horizon_days.
    """
    return DatewiseBtyd(fallback=None, min_rows=0, seed=seed).features(frame, horizon_days)
