"""When to retrain: the signals (drift, a performance drop, enough new feedback) and the plan.

``plan_retraining`` turns the signals into at most one trigger per model and cause per
cool-down; the Dagster sensor only reads tables and calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ml.contracts import DRIFT_TABLE, ML_SCHEMA, MODEL_SPECS, PERFORMANCE_TABLE
from ml.monitoring.feedback import count_new_feedback

if TYPE_CHECKING:
    from warehouse.settings import Settings

Cause = Literal["drift", "performance", "feedback"]
CAUSES: tuple[Cause, ...] = ("drift", "performance", "feedback")


@dataclass(frozen=True)
class RetrainingSignal:
    """Evidence that a model should be retrained, with when it was observed."""

    model_name: str
    cause: Cause
    observed_at: datetime
    detail: str
    #: What was observed (the check's run id), so the same evidence is recognised again.
    evidence_id: str = ""
    #: The champion the evidence is about ("" for feedback, which judges the alerts).
    model_version: str = ""


def latest_drift_signals(settings: Settings) -> list[RetrainingSignal]:
    """The newest drift check of each model, when it found the model drifted."""
    return _latest_flagged(
        settings,
        DRIFT_TABLE,
        flag="dataset_drifted",
        cause="drift",
        describe=lambda row: (
            f"drift check {row['run_id']}: share drifted {float(row['share_drifted']):.0%}"
        ),
    )


def latest_performance_signals(settings: Settings) -> list[RetrainingSignal]:
    """The newest performance check of each model, when it found the model degraded."""
    return _latest_flagged(
        settings,
        PERFORMANCE_TABLE,
        flag="is_degraded",
        cause="performance",
        describe=lambda row: (
            f"{row['metric_name']} {float(row['current_value']):.4f} vs "
            f"{float(row['reference_value']):.4f} at training"
        ),
    )


def _latest_flagged(
    settings: Settings,
    table: str,
    *,
    flag: str,
    cause: Cause,
    describe: Callable[[Mapping[str, Any]], str],
) -> list[RetrainingSignal]:
    from warehouse import read_frame, table_exists

    if not table_exists(settings, f"{ML_SCHEMA}.{table}"):
        return []
    latest = read_frame(
        settings,
        f"""
        with ranked as (
            select *, dense_rank() over (
                partition by model_name order by checked_at desc, run_id desc
            ) as recency
            from {ML_SCHEMA}.{table}
        )
        select * from ranked where recency = 1 and {flag}
        """,
    )
    signals: dict[str, RetrainingSignal] = {}
    for row in latest.to_dict("records"):
        model = str(row["model_name"])
        signals.setdefault(
            model,
            RetrainingSignal(
                model_name=model,
                cause=cause,
                observed_at=pd.Timestamp(row["checked_at"]).to_pydatetime(),
                detail=describe(row),
                evidence_id=str(row["run_id"]),
                model_version=str(row["model_version"]),
            ),
        )
    return list(signals.values())


def feedback_signals(
    feedback: pd.DataFrame,
    since_by_model: Mapping[str, datetime | None],
    *,
    threshold: int,
    now: datetime,
) -> list[RetrainingSignal]:
    """A signal per model with at least ``threshold`` new feedback rows on the alerts it judges
    (the ``model_name`` of each feedback row's alert; seed alert_types decides it)."""
    signals = []
    for model in MODEL_SPECS:
        rows = feedback[feedback["model_name"] == model]
        alert_types = sorted(rows["alert_type"].unique())
        count = count_new_feedback(rows, since_by_model.get(model), alert_types)
        if threshold > 0 and count >= threshold:
            signals.append(
                RetrainingSignal(
                    model_name=model,
                    cause="feedback",
                    observed_at=now,
                    detail=f"{count} new feedback rows on {', '.join(alert_types)}",
                )
            )
    return signals


def plan_retraining(
    signals: Sequence[RetrainingSignal],
    last_triggers: Mapping[str, Mapping[str, datetime]],
    *,
    now: datetime,
    cooldown: timedelta,
    acted_versions: Mapping[str, Mapping[str, str]] | None = None,
) -> list[RetrainingSignal]:
    """The signals that start a retraining now.

    A (model, cause) fires only when its evidence is newer than its last trigger (the same drift
    check never retrains twice) and the last trigger is older than the cool-down (a new check
    finding the same drift a day later waits). A drift or performance signal about a champion
    version that already triggered that cause does not fire again: the retraining kept that
    champion (a new model was not better), so another one on the same evidence would not help;
    once a new champion shows the same problem, it fires again. Unknown models are ignored.
    """
    acted = acted_versions or {}
    chosen = []
    for signal in signals:
        if signal.model_name not in MODEL_SPECS:
            continue
        last = last_triggers.get(signal.model_name, {}).get(signal.cause)
        if last is not None and (signal.observed_at <= last or now - last < cooldown):
            continue
        version = acted.get(signal.model_name, {}).get(signal.cause)
        if signal.model_version and version == signal.model_version:
            continue
        chosen.append(signal)
    return sorted(chosen, key=lambda signal: (signal.model_name, signal.cause))
