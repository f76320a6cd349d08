"""The day's results as dated files, the way the Salesforce daily-pipeline design stores them:
``<root>/<dataset>/year=YYYY/month=MM/day=DD/results.json`` (and ``results.parquet``) for
systems that read files rather than the warehouse.

One folder per dataset and as-of date; a rerun for the same date replaces the files whole
(written beside them, then renamed), so readers never see half a file and reruns leave no
duplicates. The JSON is deterministic: the same rows give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse.settings import Settings


@dataclass(frozen=True)
class Dataset:
    """One exported dataset: a scored mart, its rows at the run's as-of date, ordered by keys."""

    table: str
    keys: tuple[str, ...]
    columns: str = "*"
    #: Marts that keep history (one row per as-of date) export the run's date only.
    by_as_of_date: bool = False

    def query(self, day: dt.date) -> str:
        sql = f"select {self.columns} from {self.table}"
        if self.by_as_of_date:
            sql += f" where as_of_date = cast('{day.isoformat()}' as date)"
        return sql


#: The design's three (lead scoring, pipeline health, churn prediction) and the sales ones.
DATASETS: Mapping[str, Dataset] = {
    "lead_scoring": Dataset(
        "marts.lead_scores",
        ("lead_id",),
        "lead_id, as_of_date, owner_user_id, lead_score, lead_priority",
    ),
    "pipeline_health": Dataset("marts.pipeline_health", ("segment",), by_as_of_date=True),
    "churn_prediction": Dataset("marts.account_risk_scores", ("account_id",)),
    "deal_risk": Dataset("marts.deal_risk_scores", ("opportunity_id",)),
    "pipeline_forecast": Dataset(
        "marts.pipeline_forecast", ("forecast_month", "segment"), by_as_of_date=True
    ),
    "kpi_anomalies": Dataset("marts.kpi_anomalies", ("kpi_name", "kpi_date")),
}
RUN_DATE_SQL = "select as_of_date from intermediate.int_as_of_dates where is_latest"


@dataclass(frozen=True)
class WrittenDataset:
    dataset: str
    rows: int
    json_path: Path
    parquet_path: Path


def dated_folder(root: Path, dataset: str, day: dt.date) -> Path:
    return root / dataset / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    if isinstance(value, float | int | str | bool):
        return value
    return str(value)  # decimals and the like


def _dates_as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Date columns some drivers return as midnight timestamps go back to dates, so that
    the files of one day read the same whichever warehouse wrote them."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values) and values.dt.tz is None:
            present = values.dropna()
            if not present.empty and (present == present.dt.normalize()).all():
                frame[column] = values.dt.date
    return frame


def results_document(dataset: str, day: dt.date, frame: pd.DataFrame) -> dict[str, Any]:
    frame = _dates_as_dates(frame)
    rows = [
        {column: _json_value(value) for column, value in record.items()}
        for record in frame.to_dict(orient="records")
    ]
    return {
        "dataset": dataset,
        "as_of_date": day.isoformat(),
        "row_count": len(rows),
        "columns": list(frame.columns),
        "rows": rows,
    }


def _replace(path: Path, write: Any) -> None:
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    partial.replace(path)


def write_dataset(
    root: Path, dataset: str, day: dt.date, frame: pd.DataFrame, keys: tuple[str, ...] = ()
) -> WrittenDataset:
    """Write one dataset's rows for one day as results.json and results.parquet (replacing)."""
    ordered = frame.sort_values(list(keys)).reset_index(drop=True) if keys else frame
    folder = dated_folder(root, dataset, day)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results_document(dataset, day, ordered), indent=1, sort_keys=True)
    json_path, parquet_path = folder / "results.json", folder / "results.parquet"
    _replace(json_path, lambda path: path.write_text(text + "\n", encoding="utf-8"))
    _replace(parquet_path, lambda path: ordered.to_parquet(path, index=False))
    return WrittenDataset(dataset, len(ordered), json_path, parquet_path)


def export_daily_results(settings: Settings, root: Path | None = None) -> list[WrittenDataset]:
    """Every dataset whose mart exists, for the run's as-of date, under ``root`` (default
    ``<artifacts>/results``)."""
    from warehouse import adapter_for, read_frame

    root = root or settings.artifacts_dir / "results"
    day = read_frame(settings, RUN_DATE_SQL)["as_of_date"].iloc[0]
    day = pd.Timestamp(day).date()
    with adapter_for(settings).session() as session:
        present = [name for name, data in DATASETS.items() if session.table_exists(data.table)]
    written = []
    for name in present:
        dataset = DATASETS[name]
        frame = read_frame(settings, dataset.query(day))
        written.append(write_dataset(root, name, day, frame, dataset.keys))
    return written
