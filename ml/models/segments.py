"""RFM segmentation: KMeans on log-scaled, standardized recency, frequency and monetary value.

Clusters are named by matching their centroids to segment archetypes (an optimal one-to-one
assignment), and renumbered in archetype order, so the same data and seed always give the same
index and name for a customer. Recency enters as "recentness" (-log recency) so that high means
good on all three axes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from ml.models.base import top_k_factors

RFM_COLUMNS = ("recency_days", "frequency", "monetary")
#: Archetype centroids in standardized (recentness, frequency, monetary) space, in index order.
ARCHETYPES: dict[str, tuple[float, float, float]] = {
    "Champions": (1.0, 1.3, 1.3),
    "Loyal": (0.3, 0.6, 0.6),
    "New": (1.0, -0.8, -0.6),
    "At risk": (-0.8, 0.6, 0.6),
    "Hibernating": (-1.0, -0.8, -0.8),
}
_EXTRA_NAME = "Other {}"


def rfm_values(frame: pd.DataFrame) -> np.ndarray:
    """(recentness, log frequency, log monetary) per row; a clear error without RFM columns."""
    missing = [column for column in RFM_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"segmentation needs RFM columns, missing: {missing}")
    values = np.column_stack(
        [
            pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            for column in RFM_COLUMNS
        ]
    )
    values = np.clip(values, 0.0, None)
    return np.column_stack(
        [-np.log1p(values[:, 0]), np.log1p(values[:, 1]), np.log1p(values[:, 2])]
    )


def name_clusters(centroids: np.ndarray) -> list[str]:
    """Archetype name per centroid (optimal one-to-one match; extra clusters 'Other n')."""
    prototypes = np.array(list(ARCHETYPES.values()))
    cost = ((centroids[:, None, :] - prototypes[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    names = [_EXTRA_NAME.format(i + 1) for i in range(len(centroids))]
    archetype_names = list(ARCHETYPES)
    for row, col in zip(rows, cols, strict=True):
        names[row] = archetype_names[col]
    return names


def nearest_archetype(standardized: np.ndarray) -> np.ndarray:
    """Rule-based baseline: each row's nearest archetype index, no clustering."""
    prototypes = np.array(list(ARCHETYPES.values()))
    distances = ((standardized[:, None, :] - prototypes[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(distances.argmin(axis=1))


@dataclass
class SegmentModel:
    """KMeans over standardized RFM with named, deterministically ordered clusters."""

    model_name: str
    means: np.ndarray
    scales: np.ndarray
    centroids: np.ndarray
    segment_names: list[str]
    version_params: dict[str, Any]
    feature_names: list[str] = field(default_factory=lambda: list(RFM_COLUMNS))

    def standardized(self, frame: pd.DataFrame) -> np.ndarray:
        values = rfm_values(frame)
        filled = np.where(np.isnan(values), self.means, values)
        return np.asarray((filled - self.means) / self.scales)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        points = self.standardized(frame)
        distances = ((points[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(distances.argmin(axis=1), dtype=np.int64)

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None:
        return [self.segment_names[index] for index in self.predict(frame)]

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """How far each standardized RFM value sits from the population mean (signed)."""
        contributions = pd.DataFrame(self.standardized(frame), columns=list(RFM_COLUMNS))
        contributions["recency_days"] = -contributions["recency_days"]
        return top_k_factors(contributions, k).set_axis(frame.index)

    def feature_importance(self) -> pd.Series:
        """Spread of the centroids along each axis: which of R, F, M separates segments most."""
        return pd.Series(self.centroids.std(axis=0), index=list(RFM_COLUMNS)).sort_values(
            ascending=False
        )


def fit_segments(
    name: str, frame: pd.DataFrame, *, seed: int, params: dict[str, Any] | None = None
) -> SegmentModel:
    """KMeans with k = params['n_clusters'] (default 5, fewer with few customers)."""
    values = rfm_values(frame)
    values = values[~np.isnan(values).any(axis=1)]
    requested = int((params or {}).get("n_clusters", len(ARCHETYPES)))
    if len(values) < 2 * requested:
        raise ValueError(
            f"segmentation needs at least {2 * requested} customers with RFM values, "
            f"got {len(values)}"
        )
    means = values.mean(axis=0)
    scales = values.std(axis=0)
    scales[scales == 0] = 1.0
    standardized = (values - means) / scales
    # One thread: OpenMP spinning on a busy machine costs more than it saves on RFM-sized data.
    with threadpool_limits(limits=1):
        kmeans = KMeans(n_clusters=requested, n_init=10, random_state=seed).fit(standardized)
    names = name_clusters(kmeans.cluster_centers_)
    archetype_rank = {archetype: i for i, archetype in enumerate(ARCHETYPES)}
    order = sorted(range(requested), key=lambda i: (archetype_rank.get(names[i], 99), names[i]))
    return SegmentModel(
        model_name=name,
        means=means,
        scales=scales,
        centroids=kmeans.cluster_centers_[order],
        segment_names=[names[i] for i in order],
        version_params={
            "estimator": "kmeans",
            "n_clusters": requested,
            "n_init": 10,
            "seed": seed,
            "scaling": "log1p+standardize",
        },
    )
