"""customer_identity_features is point in time: a shop record first seen on D (created at D
00:00) merges into an earlier customer's profile, and its identifiers count from the spine
date after D only - never at D or before."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sources.load import load_directory
from warehouse import read_frame
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


def test_identifiers_count_only_after_their_record_is_first_seen(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    exports = tmp_path / "exports" / "commerce"
    exports.mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute(
            "create table customers as select * from (values "
            "(1, 'ann@example.com', null, null, timestamp '2025-01-01 09:00:00'), "
            "(2, 'ann@example.com', '555-000-1111', 'LOY-7', timestamp '2026-10-19 00:00:00')"
            ") as rows (customer_id, email, phone, loyalty_id, created_at)"
        )
        connection.execute(f"copy customers to '{exports / 'customers.parquet'}' (format parquet)")
    load_directory(tmp_path / "exports", duckdb_settings)

    run_dbt(
        [
            "build",
            "--select",
            "+customer_identity_features",
            "--indirect-selection",
            "cautious",
            "--vars",
            "{as_of_date: '2026-10-31'}",
        ],
        duckdb_settings,
        target_path=tmp_path / "target",
        echo=False,
    )

    rows = read_frame(
        duckdb_settings,
        "select customer_id, cast(as_of_date as varchar) as as_of_date, identity_strength_score,"
        " identifier_type_count, linked_record_count from features.customer_identity_features"
        " where as_of_date >= '2026-10-05' order by as_of_date",
    )
    # the spine's grid dates are 10-05 and 10-19 (14-day steps), then the run date 10-31;
    # record 2 is first seen on 10-19, so it counts only from 10-31.
    # record 2 is stronger, so it is the merge's base: the unified id is 2 at every date
    assert set(rows["customer_id"]) == {2}
    by_date = rows.set_index("as_of_date")
    assert by_date.loc["2026-10-05", "identity_strength_score"] == pytest.approx(0.30)
    assert by_date.loc["2026-10-19", "identity_strength_score"] == pytest.approx(0.30)
    assert by_date.loc["2026-10-19", "linked_record_count"] == 1
    # email 0.30 + phone 0.20 + loyalty card 0.15
    assert by_date.loc["2026-10-31", "identity_strength_score"] == pytest.approx(0.65)
    assert by_date.loc["2026-10-31", "identifier_type_count"] == 3
    assert by_date.loc["2026-10-31", "linked_record_count"] == 2
