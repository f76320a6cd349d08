"""Fit a model for one ModelSpec on a point-in-time training frame and evaluate it on a holdout.

``fit_and_evaluate`` is the single entry point the orchestration calls. It splits by time only
(holdout = the latest as-of dates; training labels must mature before it), fits the learners
the spec names (``ModelSpec.candidates``, see ``ml.learners``) and keeps the best on the holdout,
scores the holdout with it and with its baseline (BG/NBD + Gamma-Gamma for churn and CLV, the
rule of ``ml/baselines/rules.py`` for account churn, deal risk and lead score, rule-based RFM
groups for segmentation), and returns the model with metrics, plots and a drift reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ml import plots
from ml.baselines.features import btyd_baseline_predictions, has_order_features
from ml.baselines.rules import RULES, project_rule_config
from ml.contracts import ModelSpec
from ml.evaluation import classifier_metrics, clustering_metrics, is_better, regressor_metrics
from ml.learners import FitInputs, fit_candidates
from ml.models.base import FittedModel
from ml.models.features import FeaturePlan, as_numeric, plan_features
from ml.models.segments import fit_segments, nearest_archetype
from ml.splits import TimeSplit, as_of_dates, time_split

#: Rows kept in the drift reference snapshot.
REFERENCE_ROWS = 50_000


@dataclass(frozen=True)
class TrainingResult:
    """A fitted model with its holdout evaluation, baseline, plots and drift reference."""

    model: FittedModel
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    baseline_name: str
    plots: dict[str, bytes]
    features: list[str]
    params: dict[str, Any]
    training_window: tuple[date, date]
    holdout_window: tuple[date, date]
    train_rows: int
    holdout_rows: int
    reference: pd.DataFrame


def resolve_horizon(spec: ModelSpec, frame: pd.DataFrame, horizon_days: int | None) -> int | None:
    """The label horizon: the argument, else the frame's single horizon_days value."""
    if horizon_days is not None:
        if horizon_days <= 0:
            raise ValueError(f"horizon_days must be positive, got {horizon_days}")
        return int(horizon_days)
    if "horizon_days" in frame.columns:
        values = pd.to_numeric(frame["horizon_days"], errors="coerce").dropna().unique()
        if len(values) == 1:
            return int(values[0])
        if len(values) > 1:
            raise ValueError(f"{spec.name}: frame mixes label horizons {sorted(values)}")
    if spec.horizon_var is not None:
        raise ValueError(
            f"{spec.name}: pass horizon_days (dbt var {spec.horizon_var}) or a horizon_days column"
        )
    return None


def target_values(spec: ModelSpec, frame: pd.DataFrame) -> np.ndarray:
    """The label as floats (classifiers: 0/1, inverted for deal risk)."""
    if spec.label_column is None or spec.label_column not in frame.columns:
        raise ValueError(f"{spec.name}: training frame has no label column {spec.label_column!r}")
    values = as_numeric(frame[spec.label_column])
    if values is None or values.isna().any():
        raise ValueError(
            f"{spec.name}: label {spec.label_column!r} has missing or non-numeric values"
        )
    target = values.to_numpy(dtype=float)
    if spec.kind in ("classifier", "scorecard"):
        target = (target > 0.5).astype(float)
        if spec.invert_label:
            target = 1.0 - target
    return target


def _window(dates: pd.Series) -> tuple[date, date]:
    return (dates.min().date(), dates.max().date())


def _reference(
    frame: pd.DataFrame, features: list[str], scores: np.ndarray, seed: int
) -> pd.DataFrame:
    reference = frame[[column for column in features if column in frame.columns]].copy()
    reference["score"] = scores
    if len(reference) > REFERENCE_ROWS:
        reference = reference.sample(REFERENCE_ROWS, random_state=seed)
    return reference.reset_index(drop=True)


def _check_classes(spec: ModelSpec, target: np.ndarray, where: str) -> None:
    if np.unique(target).size < 2:
        raise ValueError(f"{spec.name}: the {where} rows have only one class ({target[0]:g})")


def _baseline_scores(
    spec: ModelSpec, holdout: pd.DataFrame, train_target: np.ndarray, horizon: int | None, seed: int
) -> tuple[str, np.ndarray]:
    """Churn/CLV: BG/NBD + Gamma-Gamma fitted per holdout as-of date; account churn, deal risk
    and lead score: their rule (``ml/baselines/rules.py``); without inputs: the base rate."""
    if spec.entity == "customer" and horizon is not None and has_order_features(holdout):
        btyd = btyd_baseline_predictions(holdout, horizon, seed=seed)
        column = "btyd_p_no_purchase" if spec.kind == "classifier" else "btyd_expected_revenue"
        fallback = float(train_target.mean())
        return "bgnbd_gamma_gamma", btyd[column].fillna(fallback).to_numpy(dtype=float)
    rule = RULES.get(spec.name)
    if rule is not None and rule.applies(holdout):
        scores = rule.compute(
            holdout.reset_index(drop=True), project_rule_config(), horizon or 0, None
        )
        return rule.version, scores.score
    name = "base_win_rate" if spec.invert_label else "base_rate"
    if spec.kind == "regressor":
        name = "training_mean"
    return name, np.full(len(holdout), float(train_target.mean()))


def _supervised(
    spec: ModelSpec,
    frame: pd.DataFrame,
    *,
    seed: int,
    horizon: int | None,
    params: dict[str, Any] | None,
) -> TrainingResult:
    target = target_values(spec, frame)
    split: TimeSplit = time_split(frame, horizon)
    y_fit, y_cal, y_hold = target[split.fit], target[split.calibration], target[split.holdout]
    holdout_rows = frame.iloc[split.holdout]
    classifier = spec.kind != "regressor"
    if classifier:
        _check_classes(spec, y_fit, "fit")
        _check_classes(spec, y_hold, "holdout")
    plan: FeaturePlan = plan_features(frame.iloc[split.fit], spec)
    candidates = fit_candidates(
        FitInputs(spec, frame, split, target, plan, seed, horizon, dict(params or {}))
    )
    evaluate = classifier_metrics if classifier else regressor_metrics
    scored = {name: model.predict(holdout_rows) for name, model in candidates.items()}
    candidate_metrics = {name: evaluate(y_hold, score) for name, score in scored.items()}
    best = next(iter(candidates))
    for name in candidates:
        if is_better(
            candidate_metrics[name],
            candidate_metrics[best],
            spec.primary_metric,
            spec.higher_is_better,
        ):
            best = name
    model, holdout_score = candidates[best], scored[best]
    metrics = dict(candidate_metrics[best])
    if len(candidates) > 1:
        for name, values in candidate_metrics.items():
            metrics.update({f"{name}_{key}": value for key, value in values.items()})
    baseline_name, baseline_score = _baseline_scores(
        spec, holdout_rows, np.concatenate([y_fit, y_cal]), horizon, seed
    )
    baseline_metrics = evaluate(y_hold, baseline_score)
    importance = model.feature_importance()  # type: ignore[attr-defined]
    curves = {f"model ({best})": holdout_score, baseline_name: baseline_score}
    title = spec.name.replace("_", " ")
    if classifier:
        figures = {
            "roc": plots.roc_plot(y_hold, curves, f"{title}: ROC (holdout)"),
            "calibration": plots.calibration_plot(y_hold, curves, f"{title}: calibration"),
            "lift": plots.lift_plot(y_hold, curves, f"{title}: lift"),
        }
    else:
        figures = {
            "predicted_vs_actual": plots.predicted_vs_actual_plot(
                y_hold, curves, f"{title}: predicted vs actual (holdout)"
            )
        }
    figures["feature_importance"] = plots.importance_plot(importance, f"{title}: importance")
    dates = as_of_dates(frame)
    # The drift reference is the newest population the model was checked on (the latest holdout
    # date): comparing today's scoring population with it measures change since then, not the
    # ageing of the whole training window.
    newest = frame[(dates == dates.max()).to_numpy()]
    return TrainingResult(
        model=model,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        baseline_name=baseline_name,
        plots=figures,
        features=list(model.feature_names),
        params={
            **model.version_params,
            "champion": best,
            "horizon_days": horizon,
            "calibration_overlaps": split.calibration_overlaps,
        },
        training_window=_window(dates.iloc[np.concatenate([split.fit, split.calibration])]),
        holdout_window=_window(dates.iloc[split.holdout]),
        train_rows=len(split.fit) + len(split.calibration),
        holdout_rows=len(split.holdout),
        reference=_reference(newest, list(model.feature_names), model.predict(newest), seed),
    )


def _segmentation(
    spec: ModelSpec, frame: pd.DataFrame, *, seed: int, params: dict[str, Any] | None
) -> TrainingResult:
    """Fit on the as-of date before the latest, evaluate silhouette on the latest."""
    dates = as_of_dates(frame)
    distinct = sorted(dates.unique())
    if len(distinct) < 2:
        raise ValueError(f"{spec.name}: needs feature rows on at least 2 as-of dates")
    fit_mask = (dates == distinct[-2]).to_numpy()
    holdout_mask = (dates == distinct[-1]).to_numpy()
    fit_rows, holdout_rows = frame[fit_mask], frame[holdout_mask]
    model = fit_segments(spec.name, fit_rows, seed=seed, params=params)
    points = model.standardized(holdout_rows)
    labels = model.predict(holdout_rows)
    metrics = clustering_metrics(points, labels, seed=seed)
    baseline_metrics = clustering_metrics(points, nearest_archetype(points), seed=seed)
    names = model.predict_labels(holdout_rows) or []
    metrics.update(
        {
            f"share_{name.lower().replace(' ', '_')}": names.count(name) / len(names)
            for name in model.segment_names
        }
    )
    return TrainingResult(
        model=model,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        baseline_name="rule_based",
        plots={"segments": plots.segments_plot(points, names, "RFM segments (holdout date)")},
        features=list(model.feature_names),
        params={**model.version_params, "segment_names": list(model.segment_names)},
        training_window=_window(dates[fit_mask]),
        holdout_window=_window(dates[holdout_mask]),
        train_rows=int(fit_mask.sum()),
        holdout_rows=int(holdout_mask.sum()),
        reference=_reference(
            fit_rows, list(model.feature_names), model.predict(fit_rows).astype(float), seed
        ),
    )


def fit_and_evaluate(
    spec: ModelSpec,
    frame: pd.DataFrame,
    *,
    seed: int = 42,
    horizon_days: int | None = None,
    params: dict[str, Any] | None = None,
) -> TrainingResult:
    """Train the spec's model with a time-based split and evaluate it beside its baseline.

    Raises ValueError with one readable line when the frame is empty, too short in time for a
    gap-free split, lacks the label, or has one class.
    """
    if frame.empty:
        raise ValueError(f"{spec.name}: the training frame is empty")
    if spec.entity_column not in frame.columns:
        raise ValueError(f"{spec.name}: training frame has no {spec.entity_column} column")
    if "as_of_date" not in frame.columns:
        raise ValueError(f"{spec.name}: training frame has no as_of_date column")
    # Warehouse queries return rows in any order; a canonical order makes the fit reproducible.
    frame = frame.sort_values(["as_of_date", spec.entity_column], kind="mergesort")
    frame = frame.reset_index(drop=True)
    if spec.kind == "clustering":
        return _segmentation(spec, frame, seed=seed, params=params)
    horizon = resolve_horizon(spec, frame, horizon_days)
    return _supervised(spec, frame, seed=seed, horizon=horizon, params=params)
