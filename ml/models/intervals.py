"""80 % intervals for supervised models, from the calibration slice's outcomes per score bin.

The calibration rows are cut into bins of equal size by the model's prediction. A classifier's
interval is the 10th-90th percentile of a Beta posterior of the bin's observed positive rate
(Jeffreys prior): how sure the data make us of the probability shown. A regressor's is the 10th
and 90th percentile of the actual values in the bin: a predictive interval, so about 80 % of
outcomes fall inside it. A new row gets the interval of the bin its prediction falls in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

LOWER, UPPER = 0.1, 0.9
MIN_ROWS_PER_BIN = 30
MAX_BINS = 10
#: Relative slack of a bin's upper edge (float rounding, not a modelling choice).
EDGE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class BinIntervals:
    """Upper edges of the prediction bins and each bin's interval."""

    edges: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def interval(self, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # A bin holds the scores up to its edge. Trees give few distinct scores, so many rows
        # sit exactly on an edge; a score computed another way (the sum of SHAP values) can
        # differ from it in the last bits and must not fall into the next bin for that.
        slack = EDGE_TOLERANCE * np.maximum(1.0, np.abs(self.edges))
        index = np.searchsorted(self.edges + slack, np.asarray(predictions, dtype=float))
        index = np.clip(index, 0, len(self.edges) - 1)
        return self.lower[index], self.upper[index]


def fit_bin_intervals(
    predictions: np.ndarray, outcomes: np.ndarray, kind: Literal["classifier", "regressor"]
) -> BinIntervals | None:
    """Intervals per prediction bin, or None with fewer than ``MIN_ROWS_PER_BIN`` rows."""
    predicted = np.asarray(predictions, dtype=float)
    actual = np.asarray(outcomes, dtype=float)
    keep = np.isfinite(predicted) & np.isfinite(actual)
    predicted, actual = predicted[keep], actual[keep]
    bins = min(MAX_BINS, len(predicted) // MIN_ROWS_PER_BIN)
    if bins < 1:
        return None
    order = np.argsort(predicted, kind="stable")
    groups = np.array_split(order, bins)
    edges, lower, upper = [], [], []
    for position, group in enumerate(groups):
        values = actual[group]
        edges.append(np.inf if position == bins - 1 else float(predicted[group].max()))
        if kind == "classifier":
            positives = float(values.sum())
            posterior = stats.beta(positives + 0.5, len(values) - positives + 0.5)
            lower.append(float(posterior.ppf(LOWER)))
            upper.append(float(posterior.ppf(UPPER)))
        else:
            lower.append(float(np.quantile(values, LOWER)))
            upper.append(float(np.quantile(values, UPPER)))
    return BinIntervals(np.array(edges), np.array(lower), np.array(upper))
