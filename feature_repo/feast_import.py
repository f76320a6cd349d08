"""Import Feast without typeguard's import-time instrumentation of it.

Feast decorates its definition classes (``FeatureView``, ``Field``, ``OnDemandFeatureView``
and others) with typeguard's ``@typechecked``, which instruments every method when the module
is imported: it reads the module's whole source again, parses and compiles it, once per
method. That is about two of the three seconds ``import feast`` takes here, paid by every
process that uses Feast (a run, the API, the event worker). The project builds its Feast
objects from the dbt YAML and tests them, so those run-time argument checks buy nothing;
typeguard itself turns ``@typechecked`` into a no-op under ``python -O``, which would also
drop every ``assert``. This module imports Feast once with the decorator set aside, and puts
it back for anything else.
"""

from __future__ import annotations

import sys
from typing import Any


def _unchecked(target: Any = None, **_options: Any) -> Any:
    """``@typechecked`` and ``@typechecked(...)`` that leave the target as it is."""
    return target if target is not None else _unchecked


def import_feast() -> None:
    """Import Feast (every submodule ``import feast`` loads) unless this process has."""
    if "feast" in sys.modules:
        return
    import typeguard

    checked = typeguard.typechecked
    typeguard.typechecked = _unchecked  # type: ignore[assignment]
    try:
        import feast  # noqa: F401
    finally:
        typeguard.typechecked = checked
