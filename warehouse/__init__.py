"""The base every package stands on: settings, connections, reading and appending frames.

Nothing here imports the command line or any other package of the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from warehouse.adapters import Adapter, Session, adapter_for
from warehouse.connections import WarehouseUnavailable
from warehouse.settings import Settings, SettingsError, Target

if TYPE_CHECKING:
    import pandas as pd


def read_frame(settings: Settings, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """Run a query on the warehouse and return the rows as a DataFrame."""
    return adapter_for(settings).read_frame(sql, params)


def table_exists(settings: Settings, qualified_name: str) -> bool:
    """Whether ``schema.table`` exists in the warehouse."""
    with adapter_for(settings).session() as session:
        return session.table_exists(qualified_name)


def append_frame(
    settings: Settings, table: str, frame: pd.DataFrame, *, ddl: Sequence[str] = ()
) -> int:
    """Append ``frame`` to ``schema.table`` (creating both with ``ddl`` when missing)."""
    return adapter_for(settings).append_frame(table, frame, ddl=ddl)


__all__ = [
    "Adapter",
    "Session",
    "Settings",
    "SettingsError",
    "Target",
    "WarehouseUnavailable",
    "adapter_for",
    "append_frame",
    "read_frame",
    "table_exists",
]
