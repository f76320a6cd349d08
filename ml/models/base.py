"""The one interface every fitted model offers to scoring, the registry and explanations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd


@runtime_checkable
class FittedModel(Protocol):
    """A trained, picklable model that scores frames with the training-set columns.

    ``predict`` returns P(positive) for classifiers (deal risk: P(lost)), revenue for CLV, the
    segment index for segmentation and a 0..1 score for the lead score.
    """

    model_name: str
    version_params: dict[str, Any]
    feature_names: list[str]

    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None: ...

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame: ...


@dataclass(frozen=True)
class ScoredRows:
    """A model's pass over a frame: scores, their 80 % interval (missing values for a model
    without one) and the top factors."""

    scores: Any
    lower: Any
    upper: Any
    factors: pd.DataFrame


def top_k_factors(contributions: pd.DataFrame, k: int) -> pd.DataFrame:
    """factor_i_name / factor_i_contribution for the k largest absolute contributions per row.

    Ties break by column order, so the same contributions always give the same factors.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    values = contributions.to_numpy(dtype=np.float64)
    names = np.asarray(contributions.columns, dtype=object)
    k_used = min(k, values.shape[1])
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k_used]
    result: dict[str, Any] = {}
    rows = np.arange(values.shape[0])
    for i in range(k):
        if i < k_used:
            result[f"factor_{i + 1}_name"] = names[order[:, i]]
            result[f"factor_{i + 1}_contribution"] = values[rows, order[:, i]]
        else:
            result[f"factor_{i + 1}_name"] = np.full(values.shape[0], None, dtype=object)
            result[f"factor_{i + 1}_contribution"] = np.full(values.shape[0], np.nan)
    return pd.DataFrame(result, index=contributions.index)
