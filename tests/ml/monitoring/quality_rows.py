"""A data-quality row for the ops-threshold tests: the one table of marts.data_quality_metrics
that the data-quality threshold reads, written without building dbt."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ml.monitoring.ops_metrics import DATA_QUALITY_TABLE
from warehouse import append_frame
from warehouse.adapters import float_type
from warehouse.settings import Settings


def write_quality_row(
    settings: Settings,
    table_key: str,
    load_date: date,
    completeness_pct: float,
    validity_pct: float,
) -> None:
    """Append one day's completeness and validity of ``table_key`` (creating the table)."""
    double = float_type(settings.target)
    append_frame(
        settings,
        DATA_QUALITY_TABLE,
        pd.DataFrame(
            [
                {
                    "table_key": table_key,
                    "load_date": load_date,
                    "completeness_pct": completeness_pct,
                    "validity_pct": validity_pct,
                }
            ]
        ),
        ddl=[
            f"create table if not exists {DATA_QUALITY_TABLE} (table_key varchar, "
            f"load_date date, completeness_pct {double}, validity_pct {double})"
        ],
    )
