"""Calibration-bin intervals of the supervised models, and the dispersion ratios they see."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS
from ml.models.gbm import derived_features
from ml.models.intervals import fit_bin_intervals
from ml.training import fit_and_evaluate


def test_regressor_bins_cover_about_80_percent_of_fresh_outcomes() -> None:
    rng = np.random.default_rng(1)
    predicted = rng.gamma(2.0, 50.0, 4000)
    actual = rng.poisson(predicted / 10.0) * 10.0
    intervals = fit_bin_intervals(predicted[:2000], actual[:2000], "regressor")
    assert intervals is not None and len(intervals.edges) == 10
    lower, upper = intervals.interval(predicted[2000:])
    inside = (actual[2000:] >= lower) & (actual[2000:] <= upper)
    assert 0.75 <= inside.mean() <= 0.95
    assert np.all(np.diff(intervals.upper) >= -1e-9)  # bins follow the prediction


def test_classifier_bins_bracket_the_observed_rate_and_narrow_with_rows() -> None:
    rng = np.random.default_rng(2)
    probability = rng.uniform(0, 1, 6000)
    outcome = (rng.uniform(0, 1, 6000) < probability).astype(float)
    few = fit_bin_intervals(probability[:600], outcome[:600], "classifier")
    many = fit_bin_intervals(probability, outcome, "classifier")
    assert few is not None and many is not None
    lower, upper = many.interval(np.array([0.05, 0.5, 0.95]))
    assert np.all(lower < np.array([0.05, 0.5, 0.95]) + 0.1)  # within one bin (0.1) wide
    assert np.all(upper > np.array([0.05, 0.5, 0.95]) - 0.1)
    assert np.mean(many.upper - many.lower) < np.mean(few.upper - few.lower)


def test_too_few_rows_give_no_bins() -> None:
    assert fit_bin_intervals(np.arange(10.0), np.arange(10.0), "regressor") is None


def test_dispersion_ratios_are_derived_from_the_order_feature_columns() -> None:
    frame = pd.DataFrame(
        {
            "order_value_std": [10.0, None, 0.0],
            "average_order_value": [50.0, 40.0, 0.0],
            "days_between_orders_std": [3.0, 1.0, None],
            "avg_days_between_orders": [30.0, 0.0, None],
        }
    )
    derived = derived_features(frame, season=False)
    assert derived["order_value_cv"].tolist()[0] == pytest.approx(0.2)
    assert np.isnan(derived["order_value_cv"].iloc[1]) and np.isnan(
        derived["order_value_cv"].iloc[2]
    )
    assert derived["days_between_orders_cv"].iloc[0] == pytest.approx(0.1)
    assert np.isnan(derived["days_between_orders_cv"].iloc[1])


def test_supervised_customer_models_carry_intervals(churn_frame: pd.DataFrame) -> None:
    result = fit_and_evaluate(MODEL_SPECS["customer_churn"], churn_frame, seed=4, horizon_days=90)
    rows = churn_frame.tail(200)
    lower, upper = result.model.predict_interval(rows)  # type: ignore[attr-defined]
    score = result.model.predict(rows)
    assert np.isfinite(lower).all() and np.all(lower <= upper)
    assert np.mean((score >= lower - 0.05) & (score <= upper + 0.05)) > 0.8
