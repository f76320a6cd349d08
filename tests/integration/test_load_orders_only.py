"""An orders-only shop, end to end: ``ciw load --mapping`` then ``ciw run`` on a temp DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ciw.cli import main

pytestmark = pytest.mark.slow

CASE = Path(__file__).parents[1] / "corpus" / "cases" / "orders_only_mapped"


def test_orders_only_export_runs_the_whole_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.delenv("CIW_TARGET", raising=False)

    assert main(["load", str(CASE / "exports"), "--mapping", str(CASE / "mapping.yml")]) == 0
    assert main(["run"]) == 0

    with duckdb.connect(str(warehouse)) as connection:
        raw = connection.execute("select count(*) from raw_commerce.orders").fetchone()
        empty = connection.execute("select count(*) from raw_crm.accounts").fetchone()
        audit = connection.execute(
            "select rows_read, rows_loaded, rows_quarantined, rows_unchanged, duplicates_kept "
            "from raw_meta.load_audit"
        ).fetchall()
        staged = connection.execute("select count(*) from staging.stg_commerce__orders").fetchone()
    # the repeated line is a second order of the same amount (no order id tells them apart)
    assert raw == (3,) and empty == (0,)
    assert audit == [(4, 3, 1, 0, 1)]
    assert staged == (3,)
