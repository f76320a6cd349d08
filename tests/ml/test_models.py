"""Feature planning, top factors, the logistic scorecard and RFM segment naming."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS
from ml.models.base import FittedModel, top_k_factors
from ml.models.features import build_matrix, plan_features
from ml.models.linear import fit_logistic
from ml.models.segments import ARCHETYPES, fit_segments, name_clusters

DEAL_RISK = MODEL_SPECS["deal_risk"]


def _raw_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c", "d"],
            "as_of_date": pd.to_datetime(["2026-01-01"] * 4).date,
            "owner_user_id": ["u1", "u2", "u3", "u4"],
            "amount": [Decimal("10.50"), Decimal("20.00"), None, Decimal("5.25")],
            "has_competitor": [True, False, None, True],
            "segment": ["smb", "enterprise", "smb", None],
            "stage_entered_date": pd.to_datetime(["2025-12-01"] * 4),
            "constant": [3, 3, 3, 3],
            "all_missing": [np.nan] * 4,
            "days_to_close": [3, 4, 5, 6],
            "is_won": [True, False, True, False],
        }
    )


def test_plan_keeps_features_and_drops_ids_dates_labels_constants() -> None:
    plan = plan_features(_raw_frame(), DEAL_RISK)
    assert plan.numeric == ("amount", "has_competitor")
    assert plan.categorical == {"segment": ("enterprise", "smb")}
    matrix = build_matrix(_raw_frame(), plan)
    assert matrix["amount"].tolist()[:2] == [10.5, 20.0] and np.isnan(matrix["amount"][2])
    assert matrix["has_competitor"].tolist()[:2] == [1.0, 0.0]
    assert isinstance(matrix["segment"].dtype, pd.CategoricalDtype)


def test_scoring_matrix_tolerates_missing_columns_and_unseen_categories() -> None:
    plan = plan_features(_raw_frame(), DEAL_RISK)
    scoring = pd.DataFrame({"segment": ["mid_market", "smb"], "amount": ["1.5", "2"]})
    matrix = build_matrix(scoring, plan)
    assert list(matrix.columns) == plan.columns
    assert matrix["has_competitor"].isna().all()
    assert matrix["segment"].isna().tolist() == [True, False]
    with pytest.raises(ValueError, match="'amount' is not numeric"):
        build_matrix(pd.DataFrame({"amount": ["ten", "eleven"]}), plan)


def test_plan_without_usable_columns_is_a_clear_error() -> None:
    frame = _raw_frame()[["opportunity_id", "as_of_date", "constant", "all_missing", "is_won"]]
    with pytest.raises(ValueError, match="no usable feature columns"):
        plan_features(frame, DEAL_RISK)


def test_top_k_factors_orders_by_absolute_contribution() -> None:
    contributions = pd.DataFrame({"a": [0.1, -3.0], "b": [-2.0, 1.0], "c": [0.5, 0.0]})
    factors = top_k_factors(contributions, 3)
    assert factors.loc[0, ["factor_1_name", "factor_2_name", "factor_3_name"]].tolist() == [
        "b",
        "c",
        "a",
    ]
    assert factors.loc[1, "factor_1_contribution"] == -3.0
    padded = top_k_factors(contributions[["a"]], 2)
    assert padded.loc[0, "factor_2_name"] is None


def test_logistic_factors_are_coefficient_times_standardized_value() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"stalled": rng.random(400) < 0.5, "noise": rng.normal(size=400)})
    target = (rng.random(400) < np.where(frame["stalled"], 0.8, 0.2)).astype(float)
    plan = plan_features(frame, DEAL_RISK)
    model = fit_logistic("deal_risk", plan, frame, target, seed=1)
    assert isinstance(model, FittedModel)
    factors = model.top_factors(frame.head(5), k=1)
    assert (factors["factor_1_name"] == "stalled").all()
    standardized = model.standardized(frame.head(5))["stalled"]
    coefficient = model.estimator.coef_[0][model.standardizer.columns.index("stalled")]
    assert np.allclose(factors["factor_1_contribution"], coefficient * standardized)
    logit = model.standardized(frame.head(5)).to_numpy() @ model.estimator.coef_[0]
    probability = 1 / (1 + np.exp(-(logit + model.estimator.intercept_[0])))
    assert np.allclose(model.predict(frame.head(5)), probability)


def test_cluster_names_follow_centroid_profiles() -> None:
    centroids = np.array([list(values) for values in ARCHETYPES.values()])[::-1] * 0.9
    assert name_clusters(centroids) == list(ARCHETYPES)[::-1]
    assert name_clusters(centroids[:2]) == ["Hibernating", "At risk"]
    six = np.vstack([centroids, [[0.0, 0.0, 0.0]]])
    assert name_clusters(six)[-1] == "Other 6"


def test_segments_index_order_and_names_are_stable() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "recency_days": rng.integers(1, 400, 600),
            "frequency": rng.integers(1, 30, 600),
            "monetary": rng.gamma(2.0, 100.0, 600),
        }
    )
    first = fit_segments("customer_segments", frame, seed=3)
    second = fit_segments("customer_segments", frame.sample(frac=1.0, random_state=2), seed=3)
    assert first.segment_names == [name for name in ARCHETYPES if name in first.segment_names]
    assert first.predict_labels(frame) == [first.segment_names[i] for i in first.predict(frame)]
    agreement = np.mean(
        np.array(first.predict_labels(frame)) == np.array(second.predict_labels(frame))
    )
    assert agreement > 0.95
    with pytest.raises(ValueError, match="missing: \\['monetary'\\]"):
        fit_segments("customer_segments", frame.drop(columns="monetary"), seed=3)
