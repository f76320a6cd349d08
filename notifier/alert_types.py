"""The alert types as the dbt seed ``alert_types.csv`` lists them: the one place where an alert
type's Slack heading, its factor and action headings and its emoji are written, shared with
dbt (which reads the same file for the fallback channel and the model each alert judges).

The seed has a row per alert type and entity type; the rows of one alert type must agree on
everything the message shows, so an edit that makes them differ is refused with the file, row
and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from warehouse.paths import DBT_PROJECT_DIR

ALERT_TYPES_CSV = DBT_PROJECT_DIR / "seeds" / "alert_types.csv"
#: The columns the notifier reads; they must not be empty (the emoji may be).
REQUIRED_COLUMNS = ("alert_type", "heading", "factors_heading", "actions_heading")
SHOWN_COLUMNS = (*REQUIRED_COLUMNS[1:], "emoji")


class AlertTypesError(ValueError):
    """The seed cannot be used; the message names the file, row and column."""


@dataclass(frozen=True)
class AlertType:
    """What a Slack message shows of its alert type."""

    alert_type: str
    heading: str
    factors_heading: str
    actions_heading: str
    #: None: the alert's severity chooses the emoji (churn risk).
    emoji: str | None


def read_alert_types(path: Path = ALERT_TYPES_CSV) -> dict[str, AlertType]:
    """The alert types of the seed at ``path``, by alert type."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = rows[0].keys() if rows else ()
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise AlertTypesError(f"{path}: cannot read the alert types ({error})") from error
    missing = [column for column in (*REQUIRED_COLUMNS, "emoji") if column not in header]
    if missing:
        raise AlertTypesError(f"{path}: no column {', '.join(missing)} (or no rows)")
    types: dict[str, AlertType] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        for column in REQUIRED_COLUMNS:
            if not (row[column] or "").strip():
                raise AlertTypesError(f"{path} row {number}, column {column}: empty")
        alert_type = AlertType(
            alert_type=row["alert_type"].strip(),
            heading=row["heading"].strip(),
            factors_heading=row["factors_heading"].strip(),
            actions_heading=row["actions_heading"].strip(),
            emoji=(row["emoji"] or "").strip() or None,
        )
        known = types.setdefault(alert_type.alert_type, alert_type)
        first_row.setdefault(alert_type.alert_type, number)
        for column in SHOWN_COLUMNS:
            if getattr(known, column) != getattr(alert_type, column):
                raise AlertTypesError(
                    f"{path} row {number}, column {column}: {alert_type.alert_type} has "
                    f"{getattr(alert_type, column)!r} here but {getattr(known, column)!r} on "
                    f"row {first_row[alert_type.alert_type]}; one alert type, one value"
                )
    return types


@cache
def alert_types() -> dict[str, AlertType]:
    """The project's alert types (read once per process)."""
    return read_alert_types(ALERT_TYPES_CSV)
