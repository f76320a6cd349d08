"""The champion table printed at the end of ``ciw run``."""

from __future__ import annotations

from ciw.settings import Settings
from ciw.summary import model_rows, model_table
from ml.contracts import MODEL_SPECS


def test_every_model_is_listed_and_an_untrained_one_says_so(duckdb_settings: Settings) -> None:
    rows = model_rows(duckdb_settings)
    assert [row[0] for row in rows] == list(MODEL_SPECS)
    assert {row[2] for row in rows} == {"not trained"}
    table = model_table(duckdb_settings)
    assert table is not None and table.row_count == len(MODEL_SPECS)
