"""Following a run as it happens: a Dagster logger that turns events into progress updates.

``ciw run`` executes the job in its own process, so a logger attached for that run can hand
each step start, materialization, check result and failure to a listener (the command line's
progress view) while the full log goes wherever the process writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import dagster as dg

EventKind = Literal["step_started", "materialized", "check", "step_failed"]


@dataclass(frozen=True)
class RunEvent:
    """One thing that happened in the run, in the terms a progress view needs."""

    kind: EventKind
    step: str | None = None
    asset_key: str | None = None
    passed: bool = True


Listener = Callable[[RunEvent], None]


def run_event(event: dg.DagsterEvent) -> RunEvent | None:
    """The progress-view meaning of a Dagster event, None for events it does not show."""
    kind = event.event_type
    if kind == dg.DagsterEventType.STEP_START:
        return RunEvent("step_started", step=event.step_key)
    if kind == dg.DagsterEventType.STEP_FAILURE:
        return RunEvent("step_failed", step=event.step_key, passed=False)
    if kind == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key is not None:
        return RunEvent(
            "materialized", step=event.step_key, asset_key=event.asset_key.to_user_string()
        )
    if kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = event.asset_check_evaluation_data
        return RunEvent(
            "check",
            step=event.step_key,
            asset_key=evaluation.asset_key.to_user_string(),
            passed=evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR,
        )
    return None


class _ListenerHandler(logging.Handler):
    def __init__(self, listener: Listener) -> None:
        super().__init__(level=logging.DEBUG)
        self.listener = listener

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        translated = run_event(event)
        if translated is not None:
            self.listener(translated)


def listening_logger(listener: Listener) -> dg.LoggerDefinition:
    """A Dagster logger that calls ``listener`` for each event a progress view shows."""

    def ciw_progress(_: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("ciw.run_events", level=logging.DEBUG)
        logger.addHandler(_ListenerHandler(listener))
        return logger

    return dg.LoggerDefinition(
        ciw_progress, description="Hands run events to the command line's progress view."
    )
