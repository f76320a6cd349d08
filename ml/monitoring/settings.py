"""Monitoring tolerances and triggers, each settable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class MonitoringError(ValueError):
    """A monitoring input is unusable; the message names what is wrong."""


@dataclass(frozen=True)
class MonitoringSettings:
    """Tolerances and triggers; each can be set from the environment (``from_env``)."""

    #: A classifier is degraded when its ROC-AUC fell by more than this (absolute).
    auc_tolerance: float = 0.05
    #: A regressor is degraded when its error rose by more than this share of the training one.
    error_tolerance: float = 0.20
    #: Fewer matured rows than this: no verdict (too noisy to retrain on).
    min_matured_rows: int = 200
    #: Matured as-of dates this many days before the newest one form the "current" window.
    window_days: int = 90
    #: New feedback rows (since the last retraining) that trigger a retraining.
    feedback_rows: int = 50
    #: One cause does not retrain the same model again within this many days.
    cooldown_days: int = 7

    @classmethod
    def from_env(cls) -> MonitoringSettings:
        values: dict[str, Any] = {}
        for name, kind in (
            ("auc_tolerance", float),
            ("error_tolerance", float),
            ("min_matured_rows", int),
            ("window_days", int),
            ("feedback_rows", int),
            ("cooldown_days", int),
        ):
            variable = f"CIW_MONITOR_{name.upper()}"
            text = os.environ.get(variable)
            if text is None:
                continue
            try:
                values[name] = kind(text)
            except ValueError:
                raise MonitoringError(
                    f"{variable} must be a {kind.__name__}, got {text!r}"
                ) from None
            if values[name] < 0:
                raise MonitoringError(f"{variable} must not be negative, got {text!r}")
        return cls(**values)
