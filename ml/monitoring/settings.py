"""Monitoring tolerances and triggers, each settable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


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
        return cls(**numbers_from_env(cls, "CIW_MONITOR_"))  # type: ignore[arg-type]


def numbers_from_env(settings_class: type, prefix: str) -> dict[str, int | float]:
    """The numeric fields of a settings dataclass that ``<prefix><FIELD>`` sets in the environment.

    Each field parses as its annotated type (``int`` or ``float``); a value that does not parse,
    or a negative one, raises :class:`MonitoringError` naming the variable.
    """
    values: dict[str, int | float] = {}
    for field in fields(settings_class):
        variable = f"{prefix}{field.name.upper()}"
        text = os.environ.get(variable)
        if text is None:
            continue
        kind = int if field.type in ("int", int) else float
        try:
            value = kind(text)
        except ValueError:
            raise MonitoringError(f"{variable} must be a {kind.__name__}, got {text!r}") from None
        if value < 0:
            raise MonitoringError(f"{variable} must not be negative, got {text!r}")
        values[field.name] = value
    return values
