"""CRM writeback: scores, priorities and follow-up tasks from the scored marts to Salesforce.

``push(settings)`` sends what changed since the last confirmed write (``ops.crm_writeback``
is the log); ``ciw crm push`` and the Dagster asset ``crm/salesforce_writeback`` call it.
Importing this package is cheap: httpx, pandas and the warehouse drivers load only when a
function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm.push import PushReport, push

__all__ = ["PushReport", "push"]


def __getattr__(name: str) -> Any:
    """Import the public functions on first use, so ``import crm`` stays instant."""
    if name not in __all__:
        raise AttributeError(f"module 'crm' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module("crm.push"), name)
