"""The backtest's window, holdout truth and metrics on a hand-computed example."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from ml.backtest import (
    BacktestError,
    HoldoutWindow,
    btyd_baseline,
    ceiling_matrix,
    ceiling_scores,
    holdout_metrics,
    holdout_truth,
    jsonable,
    split_orders,
)

WINDOW = HoldoutWindow(dt.date(2026, 1, 10), dt.date(2026, 1, 20))


def _orders(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [row[0] for row in rows],
            "ordered_at": pd.to_datetime([row[1] for row in rows], utc=True),
            "order_total": [row[2] for row in rows],
        }
    )


ORDERS = _orders(
    [
        (1, "2026-01-01 10:00", 10.0),
        (1, "2026-01-10 23:59", 20.0),  # last calibration day: calibration
        (1, "2026-01-11 00:00", 5.0),  # first holdout day
        (2, "2026-01-05 12:00", 30.0),
        (2, "2026-01-20 23:00", 7.0),  # last holdout day: holdout
        (3, "2026-01-02 08:00", 15.0),
        (3, "2026-01-21 00:00", 100.0),  # after the holdout: ignored
        (4, "2026-01-03 09:00", 8.0),
        (5, "2026-01-12 09:00", 50.0),  # first order in the holdout: not evaluated
    ]
)


def test_the_window_counts_both_ends_and_runs_as_of_the_next_day() -> None:
    assert WINDOW.as_of == dt.date(2026, 1, 11)
    assert WINDOW.horizon_days == 10
    calibration, holdout = split_orders(ORDERS, WINDOW)
    assert calibration["order_total"].tolist() == [10.0, 20.0, 30.0, 15.0, 8.0]
    assert holdout["order_total"].tolist() == [5.0, 7.0, 50.0]
    truth = holdout_truth(calibration, holdout)
    assert truth.index.tolist() == [1, 2, 3, 4]
    assert truth["churned"].tolist() == [False, False, True, True]
    assert truth["revenue"].tolist() == [5.0, 7.0, 0.0, 0.0]


def test_holdout_metrics_on_a_hand_computed_example() -> None:
    calibration, holdout = split_orders(ORDERS, WINDOW)
    truth = holdout_truth(calibration, holdout)
    scores = pd.DataFrame(
        {
            "churn_probability": [0.2, 0.6, 0.4, 0.9],
            "predicted_revenue": [4.0, 2.0, 1.0, np.nan],  # customer 4: no revenue score
        },
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )
    metrics = holdout_metrics(truth, scores)
    churn, revenue = metrics["churn"], metrics["revenue"]
    # churned 3 (0.4) and 4 (0.9) against kept 1 (0.2) and 2 (0.6): 3 of 4 pairs in order
    assert churn["roc_auc"] == pytest.approx(0.75)
    # ranked 0.9 (churned), 0.6, 0.4 (churned), 0.2: precision 1 and 2/3 at the two hits
    assert churn["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    assert churn["brier"] == pytest.approx((0.2**2 + 0.6**2 + 0.6**2 + 0.1**2) / 4)
    assert churn["lift_at_10"] == pytest.approx(2.0)  # top 1 of 4 is churned; base rate 0.5
    assert churn["churn_rate"] == 0.5
    assert churn["share_scored"] == 1.0
    # revenue on the three scored: actual 5, 7, 0 against predicted 4, 2, 1
    assert revenue["mae"] == pytest.approx(7 / 3)
    assert revenue["spearman"] == pytest.approx(0.5)  # ranks (2,3,1) vs (3,2,1)
    assert revenue["total_revenue_error"] == pytest.approx(7 / 12 - 1)
    assert revenue["share_scored"] == 0.75
    assert (revenue["actual_total"], revenue["predicted_total"]) == (12.0, 7.0)


def test_nobody_scored_gives_nan_metrics_and_zero_share() -> None:
    calibration, holdout = split_orders(ORDERS, WINDOW)
    truth = holdout_truth(calibration, holdout)
    metrics = holdout_metrics(truth, pd.DataFrame(columns=["churn_probability"], dtype=float))
    assert metrics["churn"]["share_scored"] == 0.0
    assert metrics["revenue"]["share_scored"] == 0.0
    assert math.isnan(metrics["churn"]["roc_auc"])
    assert math.isnan(metrics["revenue"]["mae"])
    document = json.dumps(jsonable(metrics))
    assert '"roc_auc": null' in document and "NaN" not in document


def test_bad_windows_and_histories_are_one_line_errors() -> None:
    with pytest.raises(BacktestError, match="must be after --calibration-end"):
        HoldoutWindow(dt.date(2026, 1, 10), dt.date(2026, 1, 10))
    early = HoldoutWindow(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    with pytest.raises(BacktestError, match=r"no orders on or before .* 2026-01-01\.\.2026-01-21"):
        split_orders(ORDERS, early)
    with pytest.raises(BacktestError, match=r"no customers' orders"):
        split_orders(ORDERS.iloc[0:0], WINDOW)
    calibration, _ = split_orders(ORDERS, WINDOW)
    with pytest.raises(BacktestError, match="Gamma-Gamma cannot be fitted"):
        btyd_baseline(calibration, WINDOW)  # one repeat buyer: too few for Gamma-Gamma


def test_the_baseline_scores_every_calibration_customer() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for customer in range(300):
        for day in np.sort(rng.choice(100, size=int(rng.integers(1, 6)), replace=False)):
            rows.append((customer, f"2025-10-{1 + day % 28:02d} 12:00", float(rng.uniform(5, 50))))
    calibration, _ = split_orders(_orders(rows), WINDOW)
    baseline = btyd_baseline(calibration, WINDOW)
    assert len(baseline) == calibration["customer_id"].nunique()
    assert baseline["churn_probability"].between(0, 1).all()
    assert (baseline["predicted_revenue"] >= 0).all()


def _ceiling_case(seed: int, customers: int = 1_500) -> tuple[pd.DataFrame, ...]:
    """Churn and revenue driven by a 'signal' feature the baseline ignores (the baseline
    ranks by 'recency' alone, which carries part of the outcome)."""
    rng = np.random.default_rng(seed)
    index = pd.Index(range(1, customers + 1), name="customer_id")
    recency = rng.uniform(0, 300, customers)
    signal = rng.normal(0, 1, customers)
    logit = -1.0 + recency / 150 - 1.5 * signal
    churned = rng.random(customers) < 1 / (1 + np.exp(-logit))
    revenue = np.where(churned, 0.0, np.round(rng.gamma(2.0, 20.0, customers), 2))
    truth = pd.DataFrame({"churned": churned, "revenue": revenue}, index=index)
    features = pd.DataFrame(
        {
            "recency_days": recency,
            "signal": signal,
            "first_order_date": pd.Timestamp("2025-01-01"),  # dates never become inputs
            "as_of_date": pd.Timestamp("2026-01-01"),
        },
        index=index,
    )
    probability = 1 / (1 + np.exp(-(-1.0 + recency / 150)))
    baseline = pd.DataFrame(
        {"churn_probability": probability, "predicted_revenue": (1 - probability) * 40.0},
        index=index,
    )
    return truth, features, baseline


def test_the_ceiling_finds_signal_the_baseline_ignores() -> None:
    truth, features, baseline = _ceiling_case(seed=5)

    ceiling = holdout_metrics(truth, ceiling_scores(truth, features, baseline))
    reference = holdout_metrics(truth, baseline)

    assert ceiling["churn"]["share_scored"] == 1.0
    assert ceiling["churn"]["roc_auc"] > reference["churn"]["roc_auc"] + 0.05
    assert ceiling["revenue"]["spearman"] > reference["revenue"]["spearman"] + 0.05


def test_without_extra_signal_the_ceiling_is_level_with_the_baseline() -> None:
    truth, features, baseline = _ceiling_case(seed=6)
    features = features.drop(columns="signal")
    truth = truth.assign(
        churned=np.random.default_rng(1).random(len(truth))
        < baseline["churn_probability"].to_numpy()
    )

    ceiling = holdout_metrics(truth, ceiling_scores(truth, features, baseline))
    reference = holdout_metrics(truth, baseline)

    assert abs(ceiling["churn"]["roc_auc"] - reference["churn"]["roc_auc"]) < 0.03


def test_the_ceiling_reads_numbers_only_and_is_nan_on_too_few_customers() -> None:
    truth, features, baseline = _ceiling_case(seed=7, customers=150)
    features["segment_id"] = 3  # ids never become inputs
    features["monetary"] = [Decimal("1.50")] * len(features)  # PostgreSQL numeric

    matrix = ceiling_matrix(features, baseline)
    scores = ceiling_scores(truth, features, baseline)

    assert sorted(matrix.columns) == [
        "baseline_churn_probability",
        "baseline_predicted_revenue",
        "monetary",
        "recency_days",
        "signal",
    ]
    assert matrix["monetary"].dtype == "float64"
    assert scores.isna().all().all() and list(scores.index) == list(truth.index)
