"""Metrics on hand-checkable cases, and the time split's no-overlap guarantee."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.evaluation import (
    classifier_metrics,
    clustering_metrics,
    is_better,
    lift_at,
    regressor_metrics,
)
from ml.splits import label_dates, time_split


def test_lift_and_classifier_metrics_on_a_perfect_ranking() -> None:
    truth = np.array([0] * 90 + [1] * 10)
    perfect = truth * 0.9 + 0.05
    metrics = classifier_metrics(truth, perfect)
    assert metrics["roc_auc"] == 1.0 and metrics["pr_auc"] == 1.0
    assert metrics["lift_at_10"] == pytest.approx(10.0)
    assert metrics["brier"] == pytest.approx(0.05**2)
    assert lift_at(truth, np.zeros(100)) == pytest.approx(0.0)  # stable ties: first rows, no 1s
    with pytest.raises(ValueError, match="both classes"):
        classifier_metrics(np.zeros(5), np.zeros(5))


def test_regressor_metrics() -> None:
    metrics = regressor_metrics([0.0, 10.0, 30.0], [5.0, 10.0, 15.0])
    assert metrics["mae"] == pytest.approx(20 / 3)
    assert metrics["rmse"] == pytest.approx(np.sqrt(250 / 3))
    assert metrics["spearman"] == pytest.approx(1.0)
    assert metrics["total_revenue_error"] == pytest.approx(-10 / 40)


def test_clustering_metrics_and_is_better() -> None:
    points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    metrics = clustering_metrics(points, [0, 0, 1, 1])
    assert metrics["silhouette"] > 0.9 and metrics["largest_segment_share"] == 0.5
    assert is_better({"mae": 1.0}, {"mae": 2.0}, "mae", higher_is_better=False)
    assert not is_better({"roc_auc": float("nan")}, {"roc_auc": 0.5}, "roc_auc", True)


def test_time_split_never_lets_training_labels_reach_the_holdout() -> None:
    dates = pd.date_range("2025-01-01", periods=30, freq="14D")
    frame = pd.DataFrame({"as_of_date": np.repeat(dates, 50), "horizon_days": 90})
    split = time_split(frame, 90)
    known = label_dates(frame, 90)
    as_of = pd.to_datetime(frame["as_of_date"])
    holdout_start = as_of.iloc[split.holdout].min()
    assert known.iloc[split.fit].max() <= as_of.iloc[split.calibration].min()
    assert known.iloc[split.calibration].max() <= holdout_start
    # 5% of 1500 rows = 75 > 50 rows per date: the holdout takes the two latest dates
    assert sorted(as_of.iloc[split.holdout].unique()) == list(dates[-2:])
    assert not split.calibration_overlaps
    assert not set(split.fit) & set(split.calibration)


def test_deal_rows_use_their_own_close_dates() -> None:
    frame = pd.DataFrame(
        {"as_of_date": pd.to_datetime(["2026-01-01"] * 2), "days_to_close": [3, 40]}
    )
    assert label_dates(frame, None).dt.day.tolist() == [4, 10]
