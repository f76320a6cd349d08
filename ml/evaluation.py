"""Holdout metrics for each model kind, computed the same way for a model and its baseline."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn import metrics as skm


def lift_at(y_true: ArrayLike, score: ArrayLike, share: float = 0.1) -> float:
    """Positive rate among the top `share` scores divided by the overall positive rate.

    Ties at the cut are broken by a stable sort on the score, so a constant score gives ~1.
    """
    truth = np.asarray(y_true, dtype=np.float64)
    scores = np.asarray(score, dtype=np.float64)
    base_rate = truth.mean()
    if truth.size == 0 or base_rate == 0:
        return float("nan")
    top = max(1, int(np.ceil(share * truth.size)))
    order = np.argsort(-scores, kind="stable")[:top]
    return float(truth[order].mean() / base_rate)


def classifier_metrics(y_true: ArrayLike, probability: ArrayLike) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), Brier score, lift at 10% and the base rate."""
    truth = np.asarray(y_true, dtype=np.float64)
    scores = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    if np.unique(truth).size < 2:
        raise ValueError("classifier metrics need both classes in the holdout")
    return {
        "roc_auc": float(skm.roc_auc_score(truth, scores)),
        "pr_auc": float(skm.average_precision_score(truth, scores)),
        "brier": float(skm.brier_score_loss(truth, scores)),
        "lift_at_10": lift_at(truth, scores, 0.1),
        "positive_rate": float(truth.mean()),
    }


def regressor_metrics(y_true: ArrayLike, prediction: ArrayLike) -> dict[str, float]:
    """MAE, RMSE, Spearman rank correlation and relative total-revenue error."""
    truth = np.asarray(y_true, dtype=np.float64)
    predicted = np.asarray(prediction, dtype=np.float64)
    total = truth.sum()
    spearman = stats.spearmanr(truth, predicted).statistic if np.ptp(predicted) > 0 else 0.0
    return {
        "mae": float(np.mean(np.abs(truth - predicted))),
        "rmse": float(np.sqrt(np.mean((truth - predicted) ** 2))),
        "spearman": float(spearman),
        "total_revenue_error": float((predicted.sum() - total) / total) if total else float("nan"),
    }


def clustering_metrics(
    matrix: np.ndarray, labels: ArrayLike, *, sample: int = 5_000, seed: int = 42
) -> dict[str, float]:
    """Silhouette (on a seeded sample) and the share of the largest cluster."""
    assigned = np.asarray(labels)
    distinct = np.unique(assigned)
    largest = float(np.max(np.unique(assigned, return_counts=True)[1]) / assigned.size)
    if distinct.size < 2 or distinct.size >= assigned.size:
        return {"silhouette": float("nan"), "largest_segment_share": largest}
    size = min(sample, assigned.size)
    score = skm.silhouette_score(matrix, assigned, sample_size=size, random_state=seed)
    return {"silhouette": float(score), "largest_segment_share": largest}


def is_better(
    candidate: dict[str, float], incumbent: dict[str, float], metric: str, higher_is_better: bool
) -> bool:
    """Whether candidate beats incumbent on metric (NaN never wins)."""
    new, old = candidate.get(metric, float("nan")), incumbent.get(metric, float("nan"))
    if np.isnan(new):
        return False
    if np.isnan(old):
        return True
    return bool(new > old if higher_is_better else new < old)
