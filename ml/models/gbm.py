"""LightGBM classifier (Platt-calibrated) and regressor over the planned features.

Customer models also see stacked BG/NBD + Gamma-Gamma outputs (P(alive), expected orders and
revenue in the horizon, P(no order)) computed from the same row's order features with
parameters fitted on training rows only: the trees start from what the baseline knows and learn
what it misses (recent trend, seasonality, the actual horizon), which is how they beat it on
orders-only data. Calibration is Platt scaling on a later time slice: monotone, so it keeps the
ranking (ROC-AUC) while fixing the probabilities.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.baselines.features import DatewiseBtyd
from ml.models.base import ScoredRows, top_k_factors
from ml.models.features import FeaturePlan, build_matrix
from ml.models.intervals import BinIntervals, fit_bin_intervals
from ml.models.tree_shap import shap_values

#: Small, regularized trees: they correct the BTYD starting point rather than replace it.
DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.9,
    "lambda_l2": 5.0,
    "num_boost_round": 600,
    "early_stopping_rounds": 40,
}
#: CLV: Tweedie (variance power 1.35) suits revenue that is often exactly zero and long-tailed.
#: At most 150 rounds: with the default spine the CLV calibration slice overlaps the fit labels
#: (see ml.splits), so early stopping on it is optimistic. No season features: the 180-day
#: label gap leaves less than a year of training dates.
REGRESSOR_PARAMS: dict[str, Any] = {
    "objective": "tweedie",
    "tweedie_variance_power": 1.35,
    "num_boost_round": 150,
    "use_season": False,
}
#: Classifiers stop early on ranking (ROC-AUC on the calibration slice): started from the BTYD
#: margin, log loss rarely improves after the first tree, while the ranking does.
CLASSIFIER_PARAMS: dict[str, Any] = {"metric": "auc"}
_LOG_LINK = frozenset({"tweedie", "poisson", "gamma"})
_FIXED_PARAMS: dict[str, Any] = {
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
#: Training runs on one thread (deterministic, and the pipeline trains models side by side);
#: prediction is per row, so the same on any number of threads: it uses every core.
PREDICT_THREADS = os.cpu_count() or 1


def derived_features(frame: pd.DataFrame, *, season: bool = True) -> pd.DataFrame:
    """Ratios trees cannot form themselves (recency against the customer's own rhythm) and the
    season of the as-of date (a cyclic day of year), which BG/NBD assumes away.
    """
    derived = pd.DataFrame(index=range(len(frame)))
    if season and "as_of_date" in frame.columns:
        day = pd.to_datetime(frame["as_of_date"]).dt.dayofyear.to_numpy(dtype=float)
        derived["as_of_season_sin"] = np.sin(2 * np.pi * day / 365.25)
        derived["as_of_season_cos"] = np.cos(2 * np.pi * day / 365.25)
    if {"recency_days", "avg_days_between_orders"} <= set(frame.columns):
        recency = pd.to_numeric(frame["recency_days"], errors="coerce").to_numpy(dtype=float)
        gap = pd.to_numeric(frame["avg_days_between_orders"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            derived["recency_over_usual_gap"] = np.where(gap > 0, recency / gap, np.nan)
    for spread, mean, name in (
        ("order_value_std", "average_order_value", "order_value_cv"),
        ("days_between_orders_std", "avg_days_between_orders", "days_between_orders_cv"),
    ):
        if {spread, mean} <= set(frame.columns):
            top = pd.to_numeric(frame[spread], errors="coerce").to_numpy(dtype=float)
            bottom = pd.to_numeric(frame[mean], errors="coerce").to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                derived[name] = np.where(bottom > 0, top / bottom, np.nan)
    if {"orders_90d", "frequency"} <= set(frame.columns):
        recent = pd.to_numeric(frame["orders_90d"], errors="coerce").to_numpy(dtype=float)
        total = pd.to_numeric(frame["frequency"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            derived["recent_order_share_90d"] = np.where(total > 0, recent / total, np.nan)
    return derived


def base_margin(matrix: pd.DataFrame, kind: str, objective: str) -> np.ndarray | None:
    """The BTYD prediction in the booster's raw-score units, where the trees start from.

    Classifier: logit of P(no order in the horizon) (the churn event itself); log-link
    regressors (tweedie, poisson, gamma): log of the expected revenue; squared error: the
    expected revenue. Rows without BTYD values start from 0 (the trees handle them).
    """
    if kind == "classifier":
        if "btyd_p_no_purchase" not in matrix.columns:
            return None
        probability = np.clip(matrix["btyd_p_no_purchase"].to_numpy(dtype=float), 1e-4, 1 - 1e-4)
        margin = np.log(probability / (1 - probability))
    else:
        if "btyd_expected_revenue" not in matrix.columns:
            return None
        revenue = matrix["btyd_expected_revenue"].to_numpy(dtype=float)
        margin = np.log(np.clip(revenue, 1.0, None)) if objective in _LOG_LINK else revenue
    return np.nan_to_num(margin, nan=0.0)


@dataclass
class GbmModel:
    """A fitted LightGBM model with its feature plan, optional BTYD stack and calibrator."""

    model_name: str
    kind: Literal["classifier", "regressor"]
    plan: FeaturePlan
    booster: lgb.Booster
    version_params: dict[str, Any]
    btyd: DatewiseBtyd | None = None
    horizon_days: float | None = None
    calibrator: LogisticRegression | None = None
    use_derived: bool = True
    use_season: bool = True
    boost_from_btyd: bool = False
    feature_names: list[str] = field(default_factory=list)
    intervals: BinIntervals | None = None

    def matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Planned features, derived ratios and stacked BTYD outputs, in the booster's column
        order (a derived column whose inputs a scoring frame lacks is NaN)."""
        matrix = model_matrix(
            frame, self.plan, self.btyd, self.horizon_days, self.use_derived, self.use_season
        )
        return matrix.reindex(columns=self.booster.feature_name())

    def _margin(self, matrix: pd.DataFrame) -> np.ndarray:
        objective = str(self.version_params.get("objective", ""))
        margin = base_margin(matrix, self.kind, objective) if self.boost_from_btyd else None
        return np.zeros(len(matrix)) if margin is None else margin

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        matrix = self.matrix(frame)
        trees = np.asarray(
            self.booster.predict(matrix, raw_score=True, num_threads=PREDICT_THREADS), dtype=float
        )
        return trees + self._margin(matrix)

    def _from_raw(self, raw: np.ndarray) -> np.ndarray:
        if self.kind == "regressor":
            log_link = self.version_params.get("objective") in _LOG_LINK
            return np.clip(np.exp(raw) if log_link else raw, 0.0, None)
        if self.calibrator is None:
            return 1.0 / (1.0 + np.exp(-raw))
        return np.asarray(self.calibrator.predict_proba(raw.reshape(-1, 1))[:, 1], dtype=float)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self._from_raw(self.raw_score(frame))

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None:
        return None

    def _interval_of(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.intervals is None:
            missing = np.full(len(scores), np.nan)
            return missing, missing.copy()
        return self.intervals.interval(scores)

    def predict_interval(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """80 % interval of each row's calibration bin (NaN when too few rows to bin)."""
        return self._interval_of(self.predict(frame))

    def _contributions(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        """SHAP contributions per model column (raw-score units; with the BTYD starting point
        as "btyd_baseline", measured from its training mean) and each row's raw score."""
        matrix = self.matrix(frame)
        contributions = shap_values(self.booster, matrix, PREDICT_THREADS)
        margin = self._margin(matrix)
        # SHAP values add up to the trees' raw score (the last column is their expected value).
        raw = contributions.sum(axis=1) + margin
        per_feature = pd.DataFrame(contributions[:, :-1], columns=list(matrix.columns))
        if self.boost_from_btyd:
            offset = float(self.version_params.get("btyd_margin_mean", 0.0))
            per_feature["btyd_baseline"] = margin - offset
        return per_feature, raw

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """LightGBM SHAP contributions in raw-score units, largest absolute first.

        When the trees boost from the BTYD prediction, that starting point is one more factor
        ("btyd_baseline"), measured from its training mean.
        """
        per_feature, _ = self._contributions(frame)
        return top_k_factors(per_feature, k).set_axis(frame.index)

    def score_rows(self, frame: pd.DataFrame, k: int = 3) -> ScoredRows:
        """Scores, intervals and top factors from one matrix and one SHAP pass: the scores
        are the SHAP values' sum, so the trees are not walked again for them."""
        per_feature, raw = self._contributions(frame)
        scores = self._from_raw(raw)
        lower, upper = self._interval_of(scores)
        factors = top_k_factors(per_feature, k).set_axis(frame.index)
        return ScoredRows(scores, lower, upper, factors)

    def feature_importance(self) -> pd.Series:
        """Total gain per model column, largest first."""
        gains = self.booster.feature_importance(importance_type="gain")
        return pd.Series(gains, index=self.booster.feature_name()).sort_values(ascending=False)


def model_matrix(
    frame: pd.DataFrame,
    plan: FeaturePlan,
    btyd: DatewiseBtyd | None,
    horizon_days: float | None,
    use_derived: bool,
    use_season: bool = True,
) -> pd.DataFrame:
    """The booster's input: planned features, derived ratios and season, BTYD outputs."""
    parts = [build_matrix(frame, plan)]
    if use_derived:
        parts.append(derived_features(frame, season=use_season))
    if btyd is not None and horizon_days is not None:
        parts.append(btyd.features(frame, horizon_days).reset_index(drop=True))
    return pd.concat(parts, axis=1)


def fit_gbm(
    name: str,
    kind: Literal["classifier", "regressor"],
    plan: FeaturePlan,
    fit_frame: pd.DataFrame,
    fit_target: np.ndarray,
    calibration_frame: pd.DataFrame,
    calibration_target: np.ndarray,
    *,
    seed: int,
    params: dict[str, Any] | None = None,
    btyd: DatewiseBtyd | None = None,
    horizon_days: float | None = None,
) -> GbmModel:
    """Boost on the fit slice (from the BTYD prediction when stacked), stop early on the
    calibration slice, then Platt-calibrate classifiers on it.
    """
    defaults = {
        **DEFAULT_PARAMS,
        **(REGRESSOR_PARAMS if kind == "regressor" else CLASSIFIER_PARAMS),
    }
    settings = {**defaults, **(params or {})}
    rounds = int(settings.pop("num_boost_round"))
    patience = int(settings.pop("early_stopping_rounds"))
    use_derived = bool(settings.pop("use_derived", True))
    use_season = bool(settings.pop("use_season", True))
    boost_from_btyd = bool(settings.pop("boost_from_btyd", True)) and btyd is not None
    objective = str(settings.pop("objective", "binary"))
    train_params = {**settings, **_FIXED_PARAMS, "objective": objective, "seed": seed}
    fit_matrix = model_matrix(fit_frame, plan, btyd, horizon_days, use_derived, use_season)
    calibration_matrix = model_matrix(
        calibration_frame, plan, btyd, horizon_days, use_derived, use_season
    )
    fit_margin = base_margin(fit_matrix, kind, objective) if boost_from_btyd else None
    calibration_margin = (
        base_margin(calibration_matrix, kind, objective) if boost_from_btyd else None
    )
    boost_from_btyd = fit_margin is not None
    train_set = lgb.Dataset(fit_matrix, label=fit_target, init_score=fit_margin)
    valid_sets: list[lgb.Dataset] = []
    callbacks: list[Any] = []
    if len(calibration_matrix) and patience > 0:
        valid_sets = [
            lgb.Dataset(
                calibration_matrix,
                label=calibration_target,
                init_score=calibration_margin,
                reference=train_set,
            )
        ]
        callbacks = [lgb.early_stopping(patience, verbose=False)]
    booster = lgb.train(
        train_params, train_set, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
    )
    version_params = {
        **train_params,
        "num_boost_round": booster.best_iteration or rounds,
        "use_derived": use_derived,
        "use_season": use_season,
        "boost_from_btyd": boost_from_btyd,
        "btyd_margin_mean": float(np.mean(fit_margin)) if fit_margin is not None else 0.0,
    }
    if btyd is not None and btyd.fallback is not None:
        version_params["btyd_training_params"] = {
            **asdict(btyd.fallback.bgnbd),
            **asdict(btyd.fallback.gamma_gamma),
        }
    model = GbmModel(
        model_name=name,
        kind=kind,
        plan=plan,
        booster=booster,
        version_params=version_params,
        btyd=btyd,
        horizon_days=horizon_days,
        use_derived=use_derived,
        use_season=use_season,
        boost_from_btyd=boost_from_btyd,
        feature_names=plan.columns,
    )
    if kind == "classifier" and len(np.unique(calibration_target)) == 2:
        raw = model.raw_score(calibration_frame).reshape(-1, 1)
        model.calibrator = LogisticRegression(C=1e4).fit(raw, calibration_target)
    if len(calibration_frame):
        model.intervals = fit_bin_intervals(
            model.predict(calibration_frame), calibration_target, kind
        )
    return model
