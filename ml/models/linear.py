"""Logistic regression on standardized features: the deal-risk champion and the lead score.

Missing numbers take the fit-time median, categoricals are one-hot encoded against their
fit-time categories, and every column is standardized, so a coefficient times the standardized
value is that feature's contribution to the log-odds (the top factors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.models.base import top_k_factors
from ml.models.features import FeaturePlan, build_matrix


@dataclass(frozen=True)
class Standardizer:
    """Fit-time medians, means and scales of the design matrix columns."""

    medians: dict[str, float]
    means: np.ndarray
    scales: np.ndarray
    columns: list[str]


def design_matrix(
    frame: pd.DataFrame, plan: FeaturePlan, medians: dict[str, float]
) -> pd.DataFrame:
    """Numbers (median-imputed) and one-hot categoricals, named ``column=value``."""
    matrix = build_matrix(frame, plan)
    data: dict[str, np.ndarray] = {}
    for column in plan.numeric:
        data[column] = matrix[column].fillna(medians.get(column, 0.0)).to_numpy(dtype=float)
    for column, categories in plan.categorical.items():
        values = matrix[column].astype(object)
        for category in categories:
            data[f"{column}={category}"] = (values == category).to_numpy(dtype=float)
    return pd.DataFrame(data, index=range(len(frame)))


@dataclass
class LogisticModel:
    """A fitted logistic regression with its feature plan and standardizer."""

    model_name: str
    plan: FeaturePlan
    standardizer: Standardizer
    estimator: LogisticRegression
    version_params: dict[str, Any]
    feature_names: list[str] = field(default_factory=list)

    def standardized(self, frame: pd.DataFrame) -> pd.DataFrame:
        design = design_matrix(frame, self.plan, self.standardizer.medians)
        values = (design.to_numpy(dtype=float) - self.standardizer.means) / self.standardizer.scales
        return pd.DataFrame(values, columns=self.standardizer.columns)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict_proba(self.standardized(frame))[:, 1], float)

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None:
        return None

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """Coefficient x standardized value per column, largest absolute first."""
        standardized = self.standardized(frame)
        contributions = standardized * self.estimator.coef_[0]
        return top_k_factors(contributions, k).set_axis(frame.index)

    def feature_importance(self) -> pd.Series:
        """Absolute standardized coefficients, largest first."""
        coefficients = pd.Series(np.abs(self.estimator.coef_[0]), index=self.standardizer.columns)
        return coefficients.sort_values(ascending=False)


def fit_logistic(
    name: str,
    plan: FeaturePlan,
    frame: pd.DataFrame,
    target: np.ndarray,
    *,
    seed: int,
    params: dict[str, Any] | None = None,
) -> LogisticModel:
    """L2-regularized logistic regression (C from params, default 1.0)."""
    matrix = build_matrix(frame, plan)
    medians = {
        column: float(matrix[column].median()) if matrix[column].notna().any() else 0.0
        for column in plan.numeric
    }
    design = design_matrix(frame, plan, medians)
    means = design.mean().to_numpy(dtype=float)
    scales = design.std(ddof=0).to_numpy(dtype=float)
    scales[scales == 0] = 1.0
    standardizer = Standardizer(medians, means, scales, list(design.columns))
    settings = {"C": 1.0, "max_iter": 2000, **(params or {})}
    estimator = LogisticRegression(
        C=float(settings["C"]), max_iter=int(settings["max_iter"]), random_state=seed
    )
    estimator.fit(
        pd.DataFrame((design.to_numpy() - means) / scales, columns=design.columns), target
    )
    return LogisticModel(
        model_name=name,
        plan=plan,
        standardizer=standardizer,
        estimator=estimator,
        version_params={"estimator": "logistic_regression", **settings, "seed": seed},
        feature_names=plan.columns,
    )
