"""Dated result files (reports/daily_files.py): the layout the daily-pipeline design stores,
read back from JSON and Parquet, deterministic, and a rerun replaces a day's files whole."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from reports.daily_files import dated_folder, write_dataset

DAY = dt.date(2026, 1, 5)


def _frame(scores: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{index}" for index in range(len(scores), 0, -1)],
            "as_of_date": [pd.Timestamp(DAY)] * len(scores),  # as DuckDB returns a date
            "lead_score": scores,
            "scored_at": [pd.Timestamp("2026-01-05 06:00:00")] * len(scores),
            "owner": [None] + ["R1"] * (len(scores) - 1),
        }
    )


def test_files_land_in_the_dated_folder_and_read_back(tmp_path: Path) -> None:
    written = write_dataset(
        tmp_path, "lead_scoring", DAY, _frame([81.5, 40.0, float("nan")]), ("lead_id",)
    )

    folder = tmp_path / "lead_scoring" / "year=2026" / "month=01" / "day=05"
    assert folder == dated_folder(tmp_path, "lead_scoring", DAY)
    assert written.json_path == folder / "results.json" and written.rows == 3
    document = json.loads(written.json_path.read_text(encoding="utf-8"))
    assert document["dataset"] == "lead_scoring" and document["as_of_date"] == "2026-01-05"
    assert [row["lead_id"] for row in document["rows"]] == ["L1", "L2", "L3"]  # by key
    assert document["rows"][0] == {
        "lead_id": "L1",
        "as_of_date": "2026-01-05",
        "lead_score": None,  # NaN is null in JSON, not an invalid token
        "scored_at": "2026-01-05T06:00:00",
        "owner": "R1",
    }
    parquet = pd.read_parquet(written.parquet_path)
    assert list(parquet["lead_id"]) == ["L1", "L2", "L3"]
    assert parquet["lead_score"].iloc[1] == 40.0
    assert sorted(path.name for path in folder.iterdir()) == ["results.json", "results.parquet"]


def test_a_rerun_replaces_the_day_and_same_rows_give_same_bytes(tmp_path: Path) -> None:
    first = write_dataset(tmp_path, "deal_risk", DAY, _frame([10.0, 20.0]), ("lead_id",))
    first_bytes = first.json_path.read_bytes()
    again = write_dataset(tmp_path, "deal_risk", DAY, _frame([10.0, 20.0]).iloc[::-1], ("lead_id",))
    assert again.json_path.read_bytes() == first_bytes

    changed = write_dataset(tmp_path, "deal_risk", DAY, _frame([99.0]), ("lead_id",))
    document = json.loads(changed.json_path.read_text(encoding="utf-8"))
    assert document["row_count"] == 1 and document["rows"][0]["lead_score"] == 99.0
    assert len(pd.read_parquet(changed.parquet_path)) == 1
    folder = changed.json_path.parent
    assert sorted(path.name for path in folder.iterdir()) == ["results.json", "results.parquet"]
    next_day = write_dataset(tmp_path, "deal_risk", DAY + dt.timedelta(days=1), _frame([5.0]))
    assert next_day.json_path.parent.name == "day=06"
    assert json.loads(changed.json_path.read_text(encoding="utf-8"))["row_count"] == 1
