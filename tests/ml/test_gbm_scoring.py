"""The LightGBM model's one-pass scoring agrees with its separate predict, interval and factors."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS
from ml.models.features import plan_features
from ml.models.gbm import fit_gbm

DEAL_RISK = MODEL_SPECS["deal_risk"]


def _deals(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 5_000.0, rows)
    days_in_stage = rng.integers(0, 200, rows).astype(float)
    segment = rng.choice(["smb", "mid_market", "enterprise"], rows)
    frame = pd.DataFrame(
        {
            "opportunity_id": [f"o{i}" for i in range(rows)],
            "as_of_date": pd.Timestamp("2026-01-01").date(),
            "amount": amount,
            "days_in_stage": days_in_stage,
            "segment": segment,
        }
    )
    logit = 0.015 * days_in_stage - 1.5 + (segment == "smb") * 0.8
    lost = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(float)
    revenue = np.where(lost > 0, 0.0, amount * rng.uniform(0.5, 1.5, rows))
    return frame, lost, revenue


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_one_pass_scores_equal_the_separate_calls(kind: Literal["classifier", "regressor"]) -> None:
    fit, lost, revenue = _deals(1_500, seed=1)
    calibration, lost_later, revenue_later = _deals(600, seed=2)
    scoring, _, _ = _deals(400, seed=3)
    plan = plan_features(fit, DEAL_RISK)
    target, later = (lost, lost_later) if kind == "classifier" else (revenue, revenue_later)
    model = fit_gbm(
        "deal_risk",
        kind,
        plan,
        fit,
        target,
        calibration,
        later,
        seed=7,
        params={"num_boost_round": 60, "early_stopping_rounds": 60},
    )
    scored = model.score_rows(scoring, k=3)
    # The scores come from the SHAP values' sum: the same as walking the trees for them.
    np.testing.assert_allclose(scored.scores, model.predict(scoring), rtol=1e-9, atol=1e-12)
    lower, upper = model.predict_interval(scoring)
    np.testing.assert_allclose(scored.lower, lower)
    np.testing.assert_allclose(scored.upper, upper)
    pd.testing.assert_frame_equal(scored.factors, model.top_factors(scoring, k=3))
    assert scored.factors["factor_1_name"].isin(["amount", "days_in_stage", "segment"]).all()
    assert np.isfinite(scored.scores).all() and len(scored.scores) == 400
