"""The supervised learners a ``ModelSpec.candidates`` entry names, fitted on a time split.

``fit_candidates`` fits every learner of a spec in the spec's order; ``ml.training`` compares
them on the holdout. Adding a learner is one function here and its name in ``ml/contracts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.baselines.features import DatewiseBtyd, fit_btyd, has_order_features
from ml.contracts import ModelSpec
from ml.models.base import FittedModel
from ml.models.features import FeaturePlan
from ml.models.gbm import fit_gbm
from ml.models.linear import fit_logistic
from ml.splits import TimeSplit, as_of_dates

#: Keys of ``params`` meant for the logistic regression; all others go to LightGBM.
LOGISTIC_PARAMS = frozenset({"C", "max_iter"})


def _stacked_btyd(
    spec: ModelSpec, fit_rows: pd.DataFrame, horizon: int | None, seed: int
) -> DatewiseBtyd | None:
    """Stacked BTYD features: refitted per as-of date, falling back to the parameters of the
    latest fit-slice cross-section for small scoring batches."""
    if spec.entity != "customer" or horizon is None or not has_order_features(fit_rows):
        return None
    dates = as_of_dates(fit_rows)
    latest = fit_rows[(dates == dates.max()).to_numpy()]
    try:
        fallback = fit_btyd(latest, seed=seed)
    except ValueError:  # too few customers for BTYD: the trees train without the stack
        return None
    return DatewiseBtyd(fallback=fallback, seed=seed)


@dataclass(frozen=True)
class FitInputs:
    """What a learner needs to fit one supervised candidate on a time split."""

    spec: ModelSpec
    frame: pd.DataFrame
    split: TimeSplit
    target: np.ndarray
    plan: FeaturePlan
    seed: int
    horizon: int | None
    params: dict[str, Any]


def _fit_logistic(inputs: FitInputs) -> FittedModel:
    """Logistic regression on the fit and calibration slices together (it needs no
    calibration of its own)."""
    rows = np.concatenate([inputs.split.fit, inputs.split.calibration])
    params = {k: v for k, v in inputs.params.items() if k in LOGISTIC_PARAMS}
    return fit_logistic(
        inputs.spec.name,
        inputs.plan,
        inputs.frame.iloc[rows],
        inputs.target[rows],
        seed=inputs.seed,
        params=params,
    )


def _fit_lightgbm(inputs: FitInputs) -> FittedModel:
    """LightGBM on the fit slice, calibrated on the calibration slice; customer models stack
    the BTYD outputs as features."""
    spec, split = inputs.spec, inputs.split
    fit_rows = inputs.frame.iloc[split.fit]
    return fit_gbm(
        spec.name,
        "regressor" if spec.kind == "regressor" else "classifier",
        inputs.plan,
        fit_rows,
        inputs.target[split.fit],
        inputs.frame.iloc[split.calibration],
        inputs.target[split.calibration],
        seed=inputs.seed,
        params={k: v for k, v in inputs.params.items() if k not in LOGISTIC_PARAMS},
        btyd=_stacked_btyd(spec, fit_rows, inputs.horizon, inputs.seed),
        horizon_days=inputs.horizon,
    )


#: The supervised learners a ``ModelSpec.candidates`` entry may name.
LEARNERS: dict[str, Callable[[FitInputs], FittedModel]] = {
    "logistic": _fit_logistic,
    "lightgbm": _fit_lightgbm,
}


def fit_candidates(inputs: FitInputs) -> dict[str, FittedModel]:
    """Every learner the spec names, fitted, in the spec's order."""
    spec = inputs.spec
    unknown = [name for name in spec.candidates if name not in LEARNERS]
    if unknown or not spec.candidates:
        raise ValueError(
            f"{spec.name}: candidates {list(spec.candidates)} must name supervised learners "
            f"({', '.join(LEARNERS)})"
        )
    return {name: LEARNERS[name](inputs) for name in spec.candidates}
