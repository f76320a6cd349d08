"""Small real registry candidates (a fitted scikit-learn logistic regression) for the tests."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.contracts import MODEL_SPECS
from ml.registry import Candidate, data_fingerprint

FEATURES = ["recency_days", "order_count"]


def training_frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(100001, 100001 + rows),
            "as_of_date": pd.Timestamp("2026-06-01").date(),
            "recency_days": rng.integers(0, 365, rows).astype(float),
            "order_count": rng.poisson(3, rows).astype(float),
        }
    )
    frame["is_churned"] = (frame["recency_days"] + rng.normal(0, 60, rows) > 180).astype(int)
    return frame


def png_bytes() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(1, 1))
    axes.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def make_candidate(
    frame: pd.DataFrame,
    plot: bytes,
    *,
    model_name: str = "customer_churn",
    metric: float = 0.75,
    c: float = 1.0,
    seed: int = 42,
) -> Candidate:
    """A fitted logistic regression whose primary holdout metric is ``metric``."""
    spec = MODEL_SPECS[model_name]
    model = LogisticRegression(C=c, random_state=seed).fit(frame[FEATURES], frame["is_churned"])
    reference = frame[FEATURES].assign(score=model.predict_proba(frame[FEATURES])[:, 1])
    return Candidate(
        model_name=model_name,
        model=model,
        features=list(FEATURES),
        params={"C": c, "solver": "lbfgs"},
        seed=seed,
        metrics={spec.primary_metric: metric, "brier": 0.2},
        baseline_metrics={spec.primary_metric: 0.6 if spec.higher_is_better else 80.0},
        baseline_name="bgnbd_gamma_gamma",
        training_window=(date(2025, 1, 1), date(2026, 3, 1)),
        holdout_window=(date(2026, 3, 15), date(2026, 6, 1)),
        data_fingerprint=data_fingerprint(frame),
        plots={"roc": plot, "calibration": plot},
        reference=reference,
        train_rows=150,
        holdout_rows=len(frame) - 150,
    )


def against_rule(candidate: Candidate, rule_metric: float) -> Candidate:
    return replace(
        candidate,
        baseline_name="rule:account_health",
        baseline_metrics={"roc_auc": rule_metric, "brier": 0.3},
    )
