"""The BTYD candidates of customer_churn and customer_clv, judged on the same rows as the
supervised model, and the rule that picks the run's champion among them.

Two ways to judge, depending on the history:

* ``label_holdout``: the label model has matured rows, the supervised split has a holdout;
  every candidate is scored on those rows (a BTYD candidate by its procedure: refit on each
  holdout date's cross-section).
* ``in_data_backtest``: no label can mature for the horizon (history shorter than it plus a
  training window). The order features themselves give a backtest: fit on the cross-section
  of an earlier spine date c, and the outcome over (c, as-of] is the difference of lifetime
  counts and revenue between the two dates (features count only orders before their date).
  The evaluation horizon is then as-of - c, at most the configured horizon; the version says
  so in ``params["evaluation"]``.

Whatever the judge, every BTYD version is fitted on the latest cross-section (all history), so
every customer with an order scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ml import plots
from ml.baselines.features import MIN_FIT_CUSTOMERS, has_order_features
from ml.contracts import ModelSpec
from ml.evaluation import classifier_metrics, regressor_metrics
from ml.models.btyd import (
    FAMILIES,
    Family,
    Kind,
    candidate_name,
    fit_btyd_model,
    procedure_scores,
)
from ml.training import TrainingResult, target_values

#: Name of the reference every customer candidate is reported beside.
BASELINE_NAME = "bgnbd_gamma_gamma"
#: The in-data backtest holds out at most half of the history, and at least a week.
MIN_BACKTEST_DAYS = 7
#: A supervised classifier must not be worse calibrated than BTYD by more than this (Brier).
BRIER_TOLERANCE = 0.002
#: A supervised revenue model must land its total within this share of the actual.
TOTAL_ERROR_LIMIT = 0.10


@dataclass(frozen=True)
class Evaluation:
    """The rows candidates are compared on, with their outcome and horizon."""

    frame: pd.DataFrame
    target: np.ndarray
    horizon_days: int
    method: str

    @property
    def window(self) -> tuple[date, date]:
        dates = pd.to_datetime(self.frame["as_of_date"])
        return dates.min().date(), dates.max().date()


def uses_btyd(spec: ModelSpec) -> bool:
    return spec.entity == "customer" and spec.kind in ("classifier", "regressor")


def _kind(spec: ModelSpec) -> Kind:
    return "classifier" if spec.kind == "classifier" else "regressor"


def label_holdout(spec: ModelSpec, frame: pd.DataFrame, result: TrainingResult) -> Evaluation:
    """The supervised result's holdout rows of the training frame."""
    dates = pd.to_datetime(frame["as_of_date"]).dt.date
    start, end = result.holdout_window
    rows = frame[((dates >= start) & (dates <= end)).to_numpy()].reset_index(drop=True)
    horizon = int(result.params.get("horizon_days") or 0)
    return Evaluation(rows, target_values(spec, rows), horizon, "label_holdout")


def backtest_date(
    counts: dict[date, int], as_of: date, history_days: float, horizon_days: int
) -> date | None:
    """The spine date the in-data backtest calibrates up to: as close as possible to
    as_of - min(horizon, half the history), never further back than the horizon, with enough
    customers; None when there is none.

    ``counts`` is customers per as-of date, ``history_days`` the longest tenure at as_of.
    """
    wanted = min(float(horizon_days), history_days / 2.0)
    choices = [
        day
        for day, count in counts.items()
        if day < as_of
        and count >= MIN_FIT_CUSTOMERS
        and MIN_BACKTEST_DAYS <= (as_of - day).days <= max(horizon_days, MIN_BACKTEST_DAYS)
    ]
    if not choices:
        return None
    return min(choices, key=lambda day: (abs((as_of - day).days - wanted), day))


def in_data_backtest(
    spec: ModelSpec, cross_sections: pd.DataFrame, as_of: date, cutoff: date
) -> Evaluation:
    """Customers of the cutoff date with their orders (churn) or revenue (CLV) until as_of."""
    dates = pd.to_datetime(cross_sections["as_of_date"]).dt.date
    early = cross_sections[(dates == cutoff).to_numpy()].reset_index(drop=True)
    late = cross_sections[(dates == as_of).to_numpy()]
    key = spec.entity_column
    later = late.set_index(key)[["frequency", "monetary"]].apply(pd.to_numeric, errors="coerce")
    joined = later.reindex(early[key])
    orders = joined["frequency"].to_numpy(dtype=float) - pd.to_numeric(
        early["frequency"], errors="coerce"
    ).to_numpy(dtype=float)
    revenue = joined["monetary"].to_numpy(dtype=float) - pd.to_numeric(
        early["monetary"], errors="coerce"
    ).to_numpy(dtype=float)
    if spec.kind == "classifier":
        target = (np.nan_to_num(orders, nan=0.0) <= 0).astype(float)
    else:
        target = np.clip(np.nan_to_num(revenue, nan=0.0), 0.0, None)
    return Evaluation(early, target, (as_of - cutoff).days, "in_data_backtest")


def _metrics(kind: Kind, target: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    filled = np.nan_to_num(
        scores, nan=float(np.nanmean(scores)) if np.isfinite(scores).any() else 0
    )
    if kind == "classifier":
        try:
            return classifier_metrics(target, filled)
        except ValueError:  # one class in a short backtest: metrics unknown, not a crash
            return dict.fromkeys(("roc_auc", "pr_auc", "brier", "lift_at_10"), float("nan"))
    return regressor_metrics(target, filled)


def _figures(
    kind: Kind, title: str, target: np.ndarray, curves: dict[str, np.ndarray]
) -> dict[str, bytes]:
    if kind == "classifier":
        if np.unique(target).size < 2:
            return {}
        return {
            "roc": plots.roc_plot(target, curves, f"{title}: ROC (holdout)"),
            "calibration": plots.calibration_plot(target, curves, f"{title}: calibration"),
            "lift": plots.lift_plot(target, curves, f"{title}: lift"),
        }
    return {
        "predicted_vs_actual": plots.predicted_vs_actual_plot(
            target, curves, f"{title}: predicted vs actual (holdout)"
        )
    }


def fit_btyd_candidates(
    spec: ModelSpec,
    latest: pd.DataFrame,
    evaluation: Evaluation,
    horizon_days: int,
    *,
    seed: int = 42,
) -> tuple[list[TrainingResult], dict[str, str]]:
    """One TrainingResult per BTYD family (fitted on ``latest``, judged on ``evaluation``), and
    the reason per family that could not be fitted."""
    kind = _kind(spec)
    reasons: dict[str, str] = {}
    if not has_order_features(latest):
        return [], {candidate_name(f): "no order features at the as-of date" for f in FAMILIES}
    scored: dict[Family, np.ndarray] = {}
    for family in FAMILIES:
        try:
            scored[family] = procedure_scores(
                spec.name, kind, family, evaluation.frame, evaluation.horizon_days, seed=seed
            )
        except ValueError as error:
            reasons[candidate_name(family)] = f"backtest: {str(error).splitlines()[0]}"
    reference = scored.get("bgnbd")
    baseline_metrics = _metrics(kind, evaluation.target, reference) if reference is not None else {}
    as_of = pd.to_datetime(latest["as_of_date"]).max().date()
    results: list[TrainingResult] = []
    for family, scores in scored.items():
        try:
            model = fit_btyd_model(spec.name, kind, family, latest, horizon_days, seed=seed)
        except ValueError as error:
            reasons[candidate_name(family)] = str(error).splitlines()[0]
            continue
        name = candidate_name(family)
        curves = {f"model ({name})": scores}
        if reference is not None and family != "bgnbd":
            curves[BASELINE_NAME] = reference
        title = spec.name.replace("_", " ")
        snapshot = latest[[c for c in model.feature_names if c in latest.columns]].copy()
        snapshot["score"] = model.predict(latest)
        results.append(
            TrainingResult(
                model=model,
                metrics=_metrics(kind, evaluation.target, scores),
                baseline_metrics=dict(baseline_metrics),
                baseline_name=BASELINE_NAME,
                plots=_figures(kind, title, evaluation.target, curves),
                features=list(model.feature_names),
                params={
                    **model.version_params,
                    "champion": name,
                    "evaluation": evaluation.method,
                    "evaluation_horizon_days": evaluation.horizon_days,
                },
                training_window=(as_of, as_of),
                holdout_window=evaluation.window,
                train_rows=len(latest),
                holdout_rows=len(evaluation.frame),
                reference=snapshot.sample(
                    min(len(snapshot), 50_000), random_state=seed
                ).reset_index(drop=True),
            )
        )
    return results, reasons


def _primary(result: TrainingResult, spec: ModelSpec) -> float:
    value = result.metrics.get(spec.primary_metric, float("nan"))
    return float("nan") if value is None else float(value)


def _beats(new: float, old: float, higher_is_better: bool) -> bool:
    if np.isnan(new):
        return False
    if np.isnan(old):
        return True
    return new > old if higher_is_better else new < old


def choose(
    spec: ModelSpec,
    supervised: TrainingResult | None,
    btyd: list[TrainingResult],
) -> tuple[TrainingResult | None, str]:
    """The run's best candidate and why.

    Among BTYD families the better primary metric wins. The supervised model takes over only
    when it beats that on the same holdout and, for churn, is calibrated at least as well
    (Brier within ``BRIER_TOLERANCE``), for CLV lands its total within ±10 % or closer than
    BTYD's total.
    """
    best: TrainingResult | None = None
    for result in btyd:
        if best is None or _beats(
            _primary(result, spec), _primary(best, spec), spec.higher_is_better
        ):
            best = result
    if supervised is None:
        return best, "no supervised model" if best is not None else "no candidate trained"
    if best is None:
        return supervised, "only candidate"
    name = best.params.get("champion", "btyd")
    if not _beats(_primary(supervised, spec), _primary(best, spec), spec.higher_is_better):
        return best, f"lightgbm does not beat {name} on holdout {spec.primary_metric}"
    if spec.kind == "classifier":
        brier, reference = supervised.metrics.get("brier"), best.metrics.get("brier")
        if brier is not None and reference is not None and brier > reference + BRIER_TOLERANCE:
            return best, f"lightgbm Brier {brier:.4f} worse than {name}'s {reference:.4f}"
    else:
        error = abs(supervised.metrics.get("total_revenue_error", np.nan))
        reference = abs(best.metrics.get("total_revenue_error", np.nan))
        if not (error <= TOTAL_ERROR_LIMIT or error <= reference):
            return best, f"lightgbm total revenue off by {error:.0%} (limit ±10 %)"
    return supervised, f"beats {name} on holdout {spec.primary_metric}"
