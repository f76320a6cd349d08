"""Evaluation plots as PNG bytes (matplotlib Agg backend, no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

Curves = dict[str, np.ndarray]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def roc_plot(y_true: np.ndarray, scores: Curves, title: str) -> bytes:
    """ROC curves of the model and its baseline on the holdout."""
    figure, axes = plt.subplots(figsize=(5, 4))
    for label, score in scores.items():
        fpr, tpr, _ = roc_curve(y_true, score)
        axes.plot(fpr, tpr, label=label)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(loc="lower right")
    return _png(figure)


def calibration_plot(y_true: np.ndarray, scores: Curves, title: str) -> bytes:
    """Observed positive rate against predicted probability, in deciles."""
    figure, axes = plt.subplots(figsize=(5, 4))
    for label, score in scores.items():
        observed, predicted = calibration_curve(
            y_true, np.clip(score, 0, 1), n_bins=10, strategy="quantile"
        )
        axes.plot(predicted, observed, marker="o", label=label)
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
    axes.set(xlabel="predicted probability", ylabel="observed rate", title=title)
    axes.legend(loc="upper left")
    return _png(figure)


def lift_plot(y_true: np.ndarray, scores: Curves, title: str) -> bytes:
    """Cumulative lift by share of rows targeted (highest scores first)."""
    figure, axes = plt.subplots(figsize=(5, 4))
    truth = np.asarray(y_true, dtype=float)
    shares = np.arange(1, truth.size + 1) / truth.size
    for label, score in scores.items():
        ordered = truth[np.argsort(-np.asarray(score), kind="stable")]
        lift = (np.cumsum(ordered) / np.arange(1, truth.size + 1)) / max(truth.mean(), 1e-12)
        axes.plot(shares, lift, label=label)
    axes.axhline(1.0, linestyle=":", color="grey")
    axes.set(xlabel="share targeted", ylabel="cumulative lift", title=title)
    axes.legend(loc="upper right")
    return _png(figure)


def importance_plot(importance: pd.Series, title: str, top: int = 15) -> bytes:
    """Horizontal bars of the largest importances."""
    shown = importance.head(top)[::-1]
    figure, axes = plt.subplots(figsize=(6, 0.3 * len(shown) + 1.5))
    axes.barh([str(name) for name in shown.index], shown.to_numpy(dtype=float))
    axes.set(xlabel="importance", title=title)
    return _png(figure)


def predicted_vs_actual_plot(actual: np.ndarray, predictions: Curves, title: str) -> bytes:
    """Mean actual against mean predicted value in prediction deciles (log1p axes)."""
    figure, axes = plt.subplots(figsize=(5, 4))
    for label, predicted in predictions.items():
        bins = pd.qcut(pd.Series(predicted).rank(method="first"), 10, labels=False)
        means = (
            pd.DataFrame({"bin": bins, "predicted": predicted, "actual": actual})
            .groupby("bin")[["predicted", "actual"]]
            .mean()
        )
        axes.plot(np.log1p(means["predicted"]), np.log1p(means["actual"]), marker="o", label=label)
    limit = float(np.log1p(max(np.max(actual), 1.0)))
    axes.plot([0, limit], [0, limit], linestyle=":", color="grey")
    axes.set(
        xlabel="log1p predicted (decile mean)", ylabel="log1p actual (decile mean)", title=title
    )
    axes.legend(loc="upper left")
    return _png(figure)


def segments_plot(points: np.ndarray, labels: list[str], title: str) -> bytes:
    """Standardized recentness against frequency, coloured by segment."""
    figure, axes = plt.subplots(figsize=(5, 4))
    names = np.asarray(labels)
    for name in sorted(set(labels)):
        chosen = names == name
        axes.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.5, label=name)
    axes.set(xlabel="recentness (std)", ylabel="frequency (std)", title=title)
    axes.legend(loc="best", markerscale=2)
    return _png(figure)
