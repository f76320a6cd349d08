"""Slack delivery of the alerts mart, exactly once, and CSM feedback on alerts.

``deliver_pending(settings)`` sends what the delivery log says is not yet sent; ``ciw notify``
and the Dagster asset ``alerts/slack_notifications`` call it. Importing this package is cheap:
slack-sdk and the warehouse drivers load only when a function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifier.delivery import DeliveryReport, deliver_pending
    from notifier.feedback import Feedback, import_feedback_csv, record_feedback

__all__ = [
    "DeliveryReport",
    "Feedback",
    "deliver_pending",
    "import_feedback_csv",
    "record_feedback",
]

_HOMES = {
    "DeliveryReport": "notifier.delivery",
    "deliver_pending": "notifier.delivery",
    "Feedback": "notifier.feedback",
    "import_feedback_csv": "notifier.feedback",
    "record_feedback": "notifier.feedback",
}


def __getattr__(name: str) -> Any:
    """Import the public functions on first use, so ``import notifier`` stays instant."""
    if name not in _HOMES:
        raise AttributeError(f"module 'notifier' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
