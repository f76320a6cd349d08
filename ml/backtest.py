"""Backtest on held-out orders: the window, the truth, the BTYD baseline and the metrics.

Plain functions over pandas frames; ``ciw backtest`` (``ciw/backtest.py``) wires them to a
warehouse of its own. Days are UTC calendar days of ``ordered_at``, both ends inclusive:

* calibration: every order on or before ``calibration_end`` (the pipeline runs as of the day
  after it, and features count only events strictly before the as-of date);
* holdout: orders on ``calibration_end + 1`` .. ``holdout_end``, i.e. ``horizon_days =
  holdout_end - calibration_end`` days, the same window as the dbt labels of that as-of date;
* churned: a customer with a calibration order and no order in the holdout.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.evaluation import classifier_metrics, regressor_metrics

#: Columns of an orders frame: one row per order.
ORDER_COLUMNS = ("customer_id", "ordered_at", "order_total")
CHURN_METRICS = ("roc_auc", "pr_auc", "brier", "lift_at_10")
REVENUE_METRICS = ("mae", "spearman", "total_revenue_error")
PROJECT = "project"
BASELINE = "bgnbd_gamma_gamma"
#: The in-period reference: a model of the as-of order features fitted on the holdout itself.
CEILING = "ceiling"
CEILING_FOLDS = 5
#: Fewer customers than this (or one churn class): no ceiling, NaN scores.
CEILING_MIN_CUSTOMERS = 200
_CEILING_PARAMS: dict[str, Any] = {
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_data_in_leaf": 100,
    "lambda_l2": 10.0,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
_CEILING_ROUNDS = 100


class BacktestError(ValueError):
    """A backtest that cannot run on this input; the message is one line for the user."""


@dataclass(frozen=True)
class HoldoutWindow:
    """Calibration up to ``calibration_end`` and holdout up to ``holdout_end``, both inclusive."""

    calibration_end: dt.date
    holdout_end: dt.date

    def __post_init__(self) -> None:
        if self.holdout_end <= self.calibration_end:
            raise BacktestError(
                f"--holdout-end {self.holdout_end} must be after --calibration-end "
                f"{self.calibration_end}"
            )

    @property
    def as_of(self) -> dt.date:
        """The pipeline's as-of date: the first holdout day."""
        return self.calibration_end + dt.timedelta(days=1)

    @property
    def horizon_days(self) -> int:
        return (self.holdout_end - self.calibration_end).days

    def describe(self) -> str:
        return (
            f"calibration to {self.calibration_end} (run as of {self.as_of}), holdout "
            f"{self.as_of}..{self.holdout_end} ({self.horizon_days} days)"
        )


def order_days(orders: pd.DataFrame) -> pd.Series:
    """The UTC calendar day of each order, as dates."""
    stamps = pd.to_datetime(orders["ordered_at"], utc=True)
    return stamps.dt.tz_localize(None).dt.normalize()


def split_orders(orders: pd.DataFrame, window: HoldoutWindow) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(calibration orders, holdout orders); orders after the holdout are dropped."""
    days = order_days(orders)
    first_holdout = pd.Timestamp(window.as_of)
    calibration = orders[(days < first_holdout).to_numpy()]
    holdout = orders[
        ((days >= first_holdout) & (days <= pd.Timestamp(window.holdout_end))).to_numpy()
    ]
    if calibration.empty:
        if orders.empty:
            raise BacktestError(
                "the exports hold no customers' orders to backtest on (commerce.orders is "
                "empty, or every order in it is cancelled)"
            )
        raise BacktestError(
            f"no orders on or before the calibration end {window.calibration_end} "
            f"(the orders span {days.min().date()}..{days.max().date()})"
        )
    return calibration, holdout


def holdout_truth(calibration: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
    """Per calibration customer: ``churned`` (no holdout order) and holdout ``revenue``."""
    customers = pd.Index(sorted(calibration["customer_id"].unique()), name="customer_id")
    revenue = holdout.groupby("customer_id")["order_total"].sum().astype(float)
    truth = pd.DataFrame(index=customers)
    truth["revenue"] = revenue.reindex(customers, fill_value=0.0).to_numpy()
    truth["churned"] = ~customers.isin(holdout["customer_id"])
    return truth


def btyd_baseline(calibration: pd.DataFrame, window: HoldoutWindow) -> pd.DataFrame:
    """BG/NBD + Gamma-Gamma fitted on the calibration orders, the textbook way.

    Daily transactions (several orders on a day are one), time in weeks, T measured to the
    as-of date; Gamma-Gamma on the repeat days' mean value, its population mean for one-time
    buyers. Columns ``churn_probability`` (no order in the holdout) and ``predicted_revenue``.
    """
    from ml.baselines.btyd import (
        bgnbd_expected_purchases,
        bgnbd_probability_no_purchase,
        fit_bgnbd,
        fit_gamma_gamma,
        gamma_gamma_expected_spend,
    )

    daily = (
        calibration.assign(day=order_days(calibration))
        .groupby(["customer_id", "day"], as_index=False)["order_total"]
        .sum()
        .sort_values(["customer_id", "day"])
    )
    summary = daily.groupby("customer_id").agg(
        first=("day", "min"), last=("day", "max"), days=("day", "size")
    )
    repeat_days = daily[daily.duplicated("customer_id", keep="first")]
    repeat_value = repeat_days.groupby("customer_id")["order_total"].mean()
    x = (summary["days"] - 1).to_numpy(dtype=float)
    t_x = ((summary["last"] - summary["first"]).dt.days / 7.0).to_numpy(dtype=float)
    big_t = ((pd.Timestamp(window.as_of) - summary["first"]).dt.days / 7.0).to_numpy(dtype=float)
    mean_value = repeat_value.reindex(summary.index).fillna(0.0).to_numpy(dtype=float)
    horizon_weeks = window.horizon_days / 7.0
    try:
        purchase = fit_bgnbd(x, t_x, big_t)
        spend = fit_gamma_gamma(x[x > 0], mean_value[x > 0])
    except ValueError as error:
        raise BacktestError(f"BG/NBD + Gamma-Gamma cannot be fitted: {error}") from None
    expected_value = gamma_gamma_expected_spend(spend, x, mean_value)
    expected_value = np.where(
        np.isfinite(expected_value), expected_value, float(daily["order_total"].mean())
    )
    expected_orders = bgnbd_expected_purchases(purchase, horizon_weeks, x, t_x, big_t)
    return pd.DataFrame(
        {
            "churn_probability": bgnbd_probability_no_purchase(
                purchase, horizon_weeks, x, t_x, big_t
            ),
            "predicted_revenue": expected_orders * expected_value,
        },
        index=summary.index,
    )


def _nan_metrics(names: tuple[str, ...]) -> dict[str, float]:
    return dict.fromkeys(names, float("nan"))


def churn_scores(truth: pd.DataFrame, scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(churned, probability) of the customers that have a churn probability."""
    probability = scores["churn_probability"].reindex(truth.index).astype(float)
    scored = probability.notna().to_numpy()
    return truth["churned"].to_numpy(dtype=float)[scored], probability.to_numpy()[scored]


def revenue_scores(truth: pd.DataFrame, scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(actual revenue, predicted revenue) of the customers that have a predicted revenue."""
    predicted = scores["predicted_revenue"].reindex(truth.index).astype(float)
    scored = predicted.notna().to_numpy()
    return truth["revenue"].to_numpy(dtype=float)[scored], predicted.to_numpy()[scored]


def holdout_metrics(truth: pd.DataFrame, scores: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Churn and revenue metrics of one set of scores on the holdout truth.

    ``scores`` is indexed by customer with ``churn_probability`` and ``predicted_revenue``
    (NaN or absent: not scored). Each part reports ``share_scored`` of the truth's customers and
    ``customers`` evaluated; a metric that cannot be computed (nobody scored, one class) is NaN.
    """
    customers = max(len(truth), 1)
    scores = scores.reindex(columns=["churn_probability", "predicted_revenue"])
    actual_churn, probability = churn_scores(truth, scores)
    churn = _nan_metrics(CHURN_METRICS)
    if probability.size and np.unique(actual_churn).size == 2:
        computed = classifier_metrics(actual_churn, probability)
        churn = {name: computed[name] for name in CHURN_METRICS}
    churn["churn_rate"] = float(actual_churn.mean()) if actual_churn.size else float("nan")
    churn["customers"] = float(probability.size)
    churn["share_scored"] = probability.size / customers

    actual_revenue, predicted = revenue_scores(truth, scores)
    revenue = _nan_metrics(REVENUE_METRICS)
    if predicted.size:
        computed = regressor_metrics(actual_revenue, predicted)
        revenue = {name: computed[name] for name in REVENUE_METRICS}
    revenue["actual_total"] = float(actual_revenue.sum())
    revenue["predicted_total"] = float(predicted.sum())
    revenue["customers"] = float(predicted.size)
    revenue["share_scored"] = predicted.size / customers
    return {"churn": churn, "revenue": revenue}


def ceiling_matrix(features: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Numeric order-feature columns (ids and dates left out) and the baseline's two scores,
    one row per customer of ``baseline``'s index."""
    from ml.models.features import as_numeric

    columns: dict[str, pd.Series] = {}
    aligned = features.reindex(baseline.index)
    for column in aligned.columns:
        name = str(column)
        if name.endswith(("_id", "_date", "_at")):
            continue
        values = as_numeric(aligned[column])
        if values is not None and values.notna().any():
            columns[name] = values
    for column in ("churn_probability", "predicted_revenue"):
        if column in baseline.columns:
            columns[f"baseline_{column}"] = pd.to_numeric(baseline[column], errors="coerce")
    return pd.DataFrame(columns, index=baseline.index)


def ceiling_scores(
    truth: pd.DataFrame, features: pd.DataFrame, baseline: pd.DataFrame, *, seed: int = 0
) -> pd.DataFrame:
    """Cross-fitted scores of LightGBM trained on the holdout outcome itself.

    Each customer is scored by a model fitted on the other folds of the *same* holdout, from
    the order features at the as-of date plus the baseline's scores, boosted from the
    baseline. Such a model has seen the holdout's season and population, which no forecast
    made at the as-of date can, so its margin over the baseline says how much these inputs
    explain beyond BG/NBD on this holdout. It is a reference, not a strict bound: it learns
    from one cross-section only (a forecast trained on many as-of dates can beat it), and on
    a few thousand customers fold noise can put it below the baseline. NaN scores when there
    are too few customers or one class.
    """
    import lightgbm as lgb
    from sklearn.model_selection import KFold

    columns = ["churn_probability", "predicted_revenue"]
    scores = pd.DataFrame(np.nan, index=truth.index, columns=columns)
    churned = truth["churned"].to_numpy(dtype=float)
    revenue = truth["revenue"].to_numpy(dtype=float)
    if len(truth) < CEILING_MIN_CUSTOMERS or np.unique(churned).size < 2:
        return scores
    reference = baseline.reindex(truth.index)
    matrix = ceiling_matrix(features, reference)
    # The trees start from the baseline (logit of its churn probability, log of its revenue),
    # so they only add what the other inputs explain, and stay near it when nothing does.
    probability = pd.to_numeric(reference.get("churn_probability"), errors="coerce")
    probability = probability.fillna(float(churned.mean())).clip(1e-4, 1 - 1e-4).to_numpy()
    churn_start = np.log(probability / (1 - probability))
    expected = pd.to_numeric(reference.get("predicted_revenue"), errors="coerce")
    spend_start = np.log(expected.fillna(float(revenue.mean())).clip(lower=1e-3).to_numpy())
    folds = KFold(CEILING_FOLDS, shuffle=True, random_state=seed)
    churn = np.full(len(truth), np.nan)
    spend = np.full(len(truth), np.nan)
    for fit, scored in folds.split(matrix):
        rows, held = matrix.iloc[fit], matrix.iloc[scored]
        classifier = lgb.train(
            {**_CEILING_PARAMS, "objective": "binary", "seed": seed},
            lgb.Dataset(rows, label=churned[fit], init_score=churn_start[fit]),
            num_boost_round=_CEILING_ROUNDS,
        )
        raw = classifier.predict(held, raw_score=True) + churn_start[scored]
        churn[scored] = 1 / (1 + np.exp(-raw))
        regressor = lgb.train(
            {**_CEILING_PARAMS, "objective": "tweedie", "tweedie_variance_power": 1.35},
            lgb.Dataset(rows, label=revenue[fit], init_score=spend_start[fit]),
            num_boost_round=_CEILING_ROUNDS,
        )
        spend[scored] = np.exp(regressor.predict(held, raw_score=True) + spend_start[scored])
    scores["churn_probability"], scores["predicted_revenue"] = churn, spend
    return scores


def jsonable(value: Any) -> Any:
    """NaN and infinities as null, numpy scalars as Python numbers, recursively."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
