"""BG/NBD and MBG/NBD with Gamma-Gamma as registered models of customer_churn and customer_clv.

A ``BtydModel`` is fitted on one cross-section of ``customer_order_features`` (all history up
to the as-of date) and needs no labels, so it scores every customer with at least one order
whatever the history's length. Churn = P(no purchase in the horizon); CLV = expected purchases x
expected spend. Both carry an 80 % interval (``ml.baselines.intervals``). Top factors are
sensitivities: how much the score moves when one input (recency, frequency, tenure, order
value) is set to the population median, which reads like the tree models' contributions.

``procedure_scores`` is how a BTYD model is judged on a holdout: refit on each holdout date's
own cross-section (the calibration period ends at that as-of date), exactly as the baseline is,
so a version fitted on later data never scores rows it has seen the outcome of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ml.baselines.btyd import (
    BgNbdParams,
    FloatArray,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_probability_alive,
    bgnbd_probability_no_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from ml.baselines.features import REQUIRED_COLUMNS, btyd_inputs, fit_inputs
from ml.baselines.intervals import churn_interval, revenue_interval
from ml.baselines.mbgnbd import (
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    mbgnbd_probability_alive,
    mbgnbd_probability_no_purchase,
)
from ml.models.base import top_k_factors

Family = Literal["bgnbd", "mbgnbd"]
Kind = Literal["classifier", "regressor"]
#: Candidate names as the registry shows them (``params["champion"]``).
FAMILIES: tuple[Family, ...] = ("bgnbd", "mbgnbd")
FEATURES = [*REQUIRED_COLUMNS, "avg_days_between_orders"]

_Fit = Callable[..., BgNbdParams]
_Curve = Callable[..., FloatArray]
_FITS: dict[Family, _Fit] = {"bgnbd": fit_bgnbd, "mbgnbd": fit_mbgnbd}
_ALIVE: dict[Family, _Curve] = {
    "bgnbd": bgnbd_probability_alive,
    "mbgnbd": mbgnbd_probability_alive,
}
_EXPECTED: dict[Family, _Curve] = {
    "bgnbd": bgnbd_expected_purchases,
    "mbgnbd": mbgnbd_expected_purchases,
}
_NO_PURCHASE: dict[Family, _Curve] = {
    "bgnbd": bgnbd_probability_no_purchase,
    "mbgnbd": mbgnbd_probability_no_purchase,
}
_WEEK = 7.0


def candidate_name(family: Family) -> str:
    return f"{family}_gamma_gamma"


@dataclass
class BtydModel:
    """A fitted purchase model (BG/NBD or MBG/NBD) with Gamma-Gamma spend, for one horizon."""

    model_name: str
    kind: Kind
    family: Family
    purchases: BgNbdParams
    spend: GammaGammaParams
    horizon_days: float
    seed: int = 42
    version_params: dict[str, Any] = field(default_factory=dict)
    feature_names: list[str] = field(default_factory=lambda: list(FEATURES))
    #: Population medians of the inputs (for the sensitivity factors).
    medians: dict[str, float] = field(default_factory=dict)
    #: Score for rows without order inputs (the fit population's mean).
    fill_value: float = 0.0

    # --- the model's outputs -----------------------------------------------------------

    def _curves(self, inputs: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
        x, t_x, big_t = (inputs[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
        horizon = self.horizon_days / _WEEK
        alive = _ALIVE[self.family](self.purchases, x, t_x, big_t)
        if self.kind == "classifier":
            return alive, _NO_PURCHASE[self.family](self.purchases, horizon, x, t_x, big_t), x
        orders = _EXPECTED[self.family](self.purchases, horizon, x, t_x, big_t)
        value = gamma_gamma_expected_spend(self.spend, inputs["n"], inputs["m"])
        return alive, orders * np.nan_to_num(value, nan=self._population_spend()), x

    def _population_spend(self) -> float:
        p, q, v = self.spend.p, self.spend.q, self.spend.v
        return float(p * v / (q - 1)) if q > 1 else 0.0

    def _score_inputs(self, inputs: pd.DataFrame) -> FloatArray:
        known = inputs[["x", "t_x", "T"]].notna().all(axis=1).to_numpy()
        scores = np.full(len(inputs), self.fill_value, dtype=float)
        if known.any():
            scores[known] = self._curves(inputs[known])[1]
        return scores

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """P(no purchase in the horizon), or the expected revenue in it, per row."""
        return self._score_inputs(btyd_inputs(frame))

    def predict_interval(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """80 % interval per row (NaN for rows without order inputs)."""
        inputs = btyd_inputs(frame)
        known = inputs[["x", "t_x", "T"]].notna().all(axis=1).to_numpy()
        lower = np.full(len(inputs), np.nan)
        upper = np.full(len(inputs), np.nan)
        if not known.any():
            return lower, upper
        rows = inputs[known]
        alive, _, x = self._curves(rows)
        big_t = rows["T"].to_numpy(dtype=float)
        horizon = self.horizon_days / _WEEK
        if self.kind == "classifier":
            low, high = churn_interval(self.purchases, alive, horizon, x, big_t)
        else:
            low, high = revenue_interval(
                self.purchases,
                self.spend,
                p_alive=alive,
                t=horizon,
                x=x,
                t_x=rows["t_x"].to_numpy(dtype=float),
                big_t=big_t,
                n=rows["n"].to_numpy(dtype=float),
                m=rows["m"].to_numpy(dtype=float),
                dropout_after_first=self.family == "mbgnbd",
                seed=self.seed,
            )
        lower[known], upper[known] = low, high
        return lower, upper

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None:
        return None

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """Score change when each input is replaced by the population median, largest first."""
        inputs = btyd_inputs(frame).reset_index(drop=True)
        base = self._score_inputs(inputs)
        recency = inputs["T"] - inputs["t_x"]
        changes: dict[str, np.ndarray] = {}
        median = self.medians
        as_median = inputs.copy()
        as_median["t_x"] = (inputs["T"] - median.get("recency", 0.0)).clip(lower=0.0)
        as_median.loc[inputs["x"] == 0, "t_x"] = 0.0
        changes["recency_days"] = base - self._score_inputs(as_median)
        as_median = inputs.copy()
        as_median["x"] = median.get("x", 0.0)
        as_median["t_x"] = np.where(as_median["x"] > 0, inputs["t_x"], 0.0)
        changes["frequency"] = base - self._score_inputs(as_median)
        as_median = inputs.copy()
        as_median["T"] = np.maximum(median.get("T", 0.0), recency)
        as_median["t_x"] = as_median["T"] - recency
        changes["tenure_days"] = base - self._score_inputs(as_median)
        if self.kind == "regressor":
            as_median = inputs.copy()
            as_median["m"] = median.get("m", np.nan)
            changes["average_order_value"] = base - self._score_inputs(as_median)
        contributions = pd.DataFrame(changes).fillna(0.0)
        return top_k_factors(contributions, k).set_axis(frame.index)

    def feature_importance(self) -> pd.Series:
        return pd.Series(dtype=float)


def fit_btyd_model(
    model_name: str,
    kind: Kind,
    family: Family,
    cross_section: pd.DataFrame,
    horizon_days: float,
    *,
    seed: int = 42,
) -> BtydModel:
    """Fit the purchase and spend models on one as-of date's order features."""
    inputs = fit_inputs(cross_section, seed=seed, what="BTYD")
    purchases = _FITS[family](inputs["x"], inputs["t_x"], inputs["T"])
    spend_rows = inputs.dropna(subset=["n", "m"])
    spend = fit_gamma_gamma(spend_rows["n"], spend_rows["m"])
    model = BtydModel(
        model_name=model_name,
        kind=kind,
        family=family,
        purchases=purchases,
        spend=spend,
        horizon_days=float(horizon_days),
        seed=seed,
        medians={
            "recency": float((inputs["T"] - inputs["t_x"]).median()),
            "x": float(inputs["x"].median()),
            "T": float(inputs["T"].median()),
            "m": float(spend_rows["m"].median()) if len(spend_rows) else float("nan"),
        },
    )
    model.fill_value = float(np.mean(model._score_inputs(inputs)))
    model.version_params = {
        "estimator": candidate_name(family),
        "family": family,
        "horizon_days": int(horizon_days),
        **{f"purchase_{k}": round(v, 6) for k, v in asdict(purchases).items()},
        **{f"spend_{k}": round(v, 6) for k, v in asdict(spend).items()},
        "fit_customers": len(inputs),
    }
    return model


def procedure_scores(
    model_name: str,
    kind: Kind,
    family: Family,
    frame: pd.DataFrame,
    horizon_days: float,
    *,
    seed: int = 42,
) -> np.ndarray:
    """Scores of the BTYD procedure: refit on each as-of date's cross-section, then predict."""
    scores = np.full(len(frame), np.nan)
    dates = pd.to_datetime(frame["as_of_date"]).to_numpy()
    for as_of in np.unique(dates):
        mask = dates == as_of
        rows = frame[mask]
        model = fit_btyd_model(model_name, kind, family, rows, horizon_days, seed=seed)
        scores[mask] = model.predict(rows)
    return scores
