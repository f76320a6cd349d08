"""Train every candidate of a model, pick the run's best on one holdout, register them all.

``train_and_register`` is what the model asset calls. For customer churn and CLV the
candidates are the supervised LightGBM (when labels matured) and the BTYD family (always, see
``ml.candidates``); for the other models the supervised fit alone. The run's best is registered
first and crowned when it beats the current champion re-measured on the same rows; the others
are registered as challengers. Why a model or a candidate did not train is kept in
``<registry>/<model>/last_training.json``, which the run summary and ``ciw models list`` show.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ml.contracts import ModelSpec
from warehouse.settings import Settings

if TYPE_CHECKING:
    from ml.candidates import Evaluation
    from ml.registry import ModelRegistry
    from ml.training import TrainingResult

log = logging.getLogger(__name__)

ORDER_FEATURES_TABLE = "features.customer_order_features"


@dataclass(frozen=True)
class TrainOutcome:
    model_name: str
    trained: bool
    reason: str = ""
    version: str | None = None
    became_champion: bool = False
    champion_version: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    baseline_metrics: dict[str, float] = field(default_factory=dict)
    baseline_name: str = ""
    train_rows: int = 0
    holdout_rows: int = 0
    artifact_dir: Path | None = None
    #: The run's chosen candidate (e.g. lightgbm, mbgnbd_gamma_gamma) and why.
    chosen: str = ""
    chosen_because: str = ""
    #: candidate -> version registered in this run.
    candidates: dict[str, str] = field(default_factory=dict)
    #: candidate -> why it did not train.
    not_trained: dict[str, str] = field(default_factory=dict)
    evaluation: str = ""


def last_training_path(registry_root: Path, model_name: str) -> Path:
    return registry_root / model_name / "last_training.json"


def write_last_training(registry_root: Path, outcome: TrainOutcome) -> None:
    record = {
        key: value
        for key, value in asdict(outcome).items()
        if key not in ("metrics", "baseline_metrics", "artifact_dir")
    }
    record["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    path = last_training_path(registry_root, outcome.model_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(record, indent=2, sort_keys=True))
    scratch.replace(path)


def read_last_training(registry_root: Path, model_name: str) -> dict[str, Any] | None:
    path = last_training_path(registry_root, model_name)
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def configured_horizon(spec: ModelSpec) -> int | None:
    """The spec's label horizon: the environment override, else the dbt project's var."""
    from warehouse.settings import dbt_project_vars, dbt_vars_from_env

    if spec.horizon_var is None:
        return None
    overrides = dbt_vars_from_env()
    if spec.horizon_var in overrides:
        return overrides[spec.horizon_var]
    value = dbt_project_vars().get(spec.horizon_var)
    return int(value) if value is not None else None


def order_cross_sections(settings: Settings, dates: list[date]) -> pd.DataFrame:
    """customer_order_features rows on the given as-of dates."""
    from warehouse import read_frame

    if not dates:
        return pd.DataFrame()
    listed = ", ".join(f"cast('{day.isoformat()}' as date)" for day in dates)
    frame = read_frame(
        settings, f"select * from {ORDER_FEATURES_TABLE} where as_of_date in ({listed})"
    )
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


def order_feature_counts(settings: Settings) -> dict[date, int]:
    """Customers per as-of date of customer_order_features."""
    from warehouse import read_frame

    frame = read_frame(
        settings,
        f"select as_of_date, count(*) as customers from {ORDER_FEATURES_TABLE} group by as_of_date",
    )
    days = pd.to_datetime(frame["as_of_date"]).dt.date
    return dict(zip(days, frame["customers"].astype(int), strict=True))


def _btyd_evaluation(
    settings: Settings,
    spec: ModelSpec,
    as_of: date,
    horizon: int,
    reasons: dict[str, str],
    *,
    backtest: bool,
) -> tuple[pd.DataFrame, Evaluation | None]:
    """The latest cross-section, and (``backtest``) the in-data backtest on it."""
    from ml.candidates import backtest_date, in_data_backtest

    counts = {day: count for day, count in order_feature_counts(settings).items() if day <= as_of}
    if not counts:
        return pd.DataFrame(), None
    latest_date = max(counts)
    latest = order_cross_sections(settings, [latest_date])
    if not backtest or latest.empty:
        return latest, None
    history = float(pd.to_numeric(latest["tenure_days"], errors="coerce").max())
    cutoff = backtest_date(counts, latest_date, history, horizon)
    if cutoff is None:
        reasons["backtest"] = (
            "history too short for an in-data backtest (no earlier as-of date with customers)"
        )
        return latest, None
    sections = pd.concat([order_cross_sections(settings, [cutoff]), latest], ignore_index=True)
    return latest, in_data_backtest(spec, sections, latest_date, cutoff)


def train_and_register(
    settings: Settings,
    spec: ModelSpec,
    frame: pd.DataFrame | None,
    registry: ModelRegistry,
    *,
    seed: int = 42,
    as_of: date | None = None,
    missing_labels: str = "",
) -> TrainOutcome:
    """Fit the spec's candidates, register them, let the registry decide the champion.

    ``frame`` is the label training set (None or empty when no label matured; then
    ``missing_labels`` says why). A model with no candidate that trains returns
    ``trained=False`` with every reason joined.
    """
    from ml.candidates import choose, fit_btyd_candidates, label_holdout, uses_btyd
    from ml.training import fit_and_evaluate
    from ml.training_sets import label_horizon, run_as_of_date
    from warehouse import table_exists

    reasons: dict[str, str] = {}
    supervised: TrainingResult | None = None
    has_labels = frame is not None and not frame.empty
    if has_labels:
        assert frame is not None
        try:
            supervised = fit_and_evaluate(spec, frame, seed=seed, horizon_days=label_horizon(frame))
        except ValueError as error:  # too few rows, one class: a readable reason, not a crash
            reasons["lightgbm" if uses_btyd(spec) else spec.name] = str(error).splitlines()[0]
    else:
        reasons["lightgbm" if uses_btyd(spec) else spec.name] = missing_labels or "no label rows"
    btyd: list[TrainingResult] = []
    evaluation: Evaluation | None = None
    if uses_btyd(spec) and not table_exists(settings, ORDER_FEATURES_TABLE):
        reasons["btyd"] = f"{ORDER_FEATURES_TABLE} is not built: run dbt (ciw run) first"
    elif uses_btyd(spec):
        horizon = (label_horizon(frame) if has_labels and frame is not None else None) or (
            configured_horizon(spec) or 90
        )
        # The run's as-of date bounds the cross-section; without a spine, the latest one.
        spine_built = table_exists(settings, "intermediate.int_as_of_dates")
        day = as_of or (run_as_of_date(settings) if spine_built else date.max)
        latest, evaluation = _btyd_evaluation(
            settings, spec, day, horizon, reasons, backtest=supervised is None
        )
        if supervised is not None and frame is not None:
            evaluation = label_holdout(spec, frame, supervised)
        if evaluation is not None and not latest.empty:
            btyd, failed = fit_btyd_candidates(spec, latest, evaluation, horizon, seed=seed)
            reasons.update(failed)
        elif latest.empty:
            reasons["btyd"] = f"no customer has order features on or before {day}"
    elif supervised is not None and frame is not None and spec.label_column is not None:
        evaluation = label_holdout(spec, frame, supervised)
    chosen, why = choose(spec, supervised, btyd)
    if chosen is None:
        outcome = TrainOutcome(
            spec.name,
            trained=False,
            reason="; ".join(f"{name}: {text}" for name, text in reasons.items()),
            not_trained=reasons,
        )
        write_last_training(registry.root, outcome)
        return outcome
    others = [
        result for result in (supervised, *btyd) if result is not None and result is not chosen
    ]
    fingerprint_frame = frame if has_labels and frame is not None else chosen.reference
    versions: dict[str, str] = {}
    first, crowned = _register(registry, spec, chosen, fingerprint_frame, evaluation, seed, True)
    versions[_name(chosen)] = first.version
    for result in others:
        version, _ = _register(registry, spec, result, fingerprint_frame, evaluation, seed, False)
        versions[_name(result)] = version.version
    champion = registry.champion(spec.name)
    outcome = TrainOutcome(
        model_name=spec.name,
        trained=True,
        reason=first.note,  # trained but kept from the champion (e.g. lost to its rule)
        version=first.version,
        became_champion=crowned,
        champion_version=champion.version if champion else None,
        metrics=dict(chosen.metrics),
        baseline_metrics=dict(chosen.baseline_metrics),
        baseline_name=chosen.baseline_name,
        train_rows=chosen.train_rows,
        holdout_rows=chosen.holdout_rows,
        artifact_dir=first.artifact_dir,
        chosen=_name(chosen),
        chosen_because=why,
        candidates=versions,
        not_trained=reasons,
        evaluation=evaluation.method if evaluation is not None else "",
    )
    write_last_training(registry.root, outcome)
    return outcome


def _name(result: TrainingResult) -> str:
    return str(result.params.get("champion") or result.params.get("estimator") or "model")


def _register(
    registry: ModelRegistry,
    spec: ModelSpec,
    result: TrainingResult,
    frame: pd.DataFrame,
    evaluation: Evaluation | None,
    seed: int,
    may_crown: bool,
) -> tuple[Any, bool]:
    from ml.registry import Candidate, data_fingerprint

    candidate = Candidate(
        model_name=spec.name,
        model=result.model,
        features=list(result.features),
        params=dict(result.params),
        seed=seed,
        metrics=dict(result.metrics),
        baseline_metrics=dict(result.baseline_metrics),
        baseline_name=result.baseline_name,
        training_window=result.training_window,
        holdout_window=result.holdout_window,
        data_fingerprint=data_fingerprint(frame),
        plots=dict(result.plots),
        reference=result.reference,
        train_rows=result.train_rows,
        holdout_rows=result.holdout_rows,
    )
    bar = champion_on(spec, registry, evaluation) if may_crown else None
    return registry.register(candidate, champion_metric=bar, may_crown=may_crown)


def champion_on(
    spec: ModelSpec, registry: ModelRegistry, evaluation: Evaluation | None
) -> float | None:
    """The champion's primary metric re-measured on the evaluation rows, so that it and the
    candidates are judged on the same rows; None when there is no champion or it cannot be
    measured there (then its recorded metric stands)."""
    from ml.evaluation import classifier_metrics, regressor_metrics
    from ml.models.btyd import BtydModel, procedure_scores

    if spec.kind not in ("classifier", "regressor") or evaluation is None:
        return None
    champion = registry.champion(spec.name)
    if champion is None or evaluation.frame.empty:
        return None
    try:
        model = registry.load_model(champion)
        if isinstance(model, BtydModel):
            predicted = procedure_scores(
                spec.name,
                model.kind,
                model.family,
                evaluation.frame,
                evaluation.horizon_days,
                seed=model.seed,
            )
        elif (
            evaluation.method != "label_holdout"
            and champion.params.get("horizon_days") != evaluation.horizon_days
        ):
            return None  # a supervised model for another horizon: not comparable here
        else:
            predicted = model.predict(evaluation.frame)
        metrics = (
            classifier_metrics(evaluation.target, predicted)
            if spec.kind == "classifier"
            else regressor_metrics(evaluation.target, predicted)
        )
    except (ValueError, KeyError) as error:  # e.g. the champion used a feature now gone
        log.warning("%s: champion not re-measured on the new holdout: %s", spec.name, error)
        return None
    return metrics.get(spec.primary_metric)


def champion_on_holdout(
    spec: ModelSpec,
    registry: ModelRegistry,
    frame: pd.DataFrame,
    holdout_window: tuple[date, date],
) -> float | None:
    """``champion_on`` for the rows of ``frame`` in ``holdout_window`` (label holdout)."""
    from ml.candidates import Evaluation
    from ml.training import target_values

    dates = pd.to_datetime(frame["as_of_date"]).dt.date
    rows = frame[((dates >= holdout_window[0]) & (dates <= holdout_window[1])).to_numpy()]
    if rows.empty:
        return None
    horizon = (
        int(pd.to_numeric(rows.get("horizon_days"), errors="coerce").max() or 0)
        if ("horizon_days" in rows.columns)
        else 0
    )
    evaluation = Evaluation(
        rows.reset_index(drop=True), target_values(spec, rows), horizon, "label_holdout"
    )
    return champion_on(spec, registry, evaluation)
