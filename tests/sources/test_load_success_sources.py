"""The customer-success exports load by the contract's rules like every other source."""

from __future__ import annotations

from pathlib import Path

from sources.load import load_directory
from tests.corpus.test_corpus import query as rows
from tests.sources.load_exports import write
from warehouse.settings import Settings


def test_nps_outside_0_to_10_is_quarantined_and_booked_sessions_may_lie_ahead(
    exports: Path, duckdb_settings: Settings
) -> None:
    write(
        exports,
        "surveys/responses.csv",
        "response_id,account_id,sent_at,responded_at,nps_score\n"
        "N1,ACC000001,2026-01-05 10:00:00,2026-01-06 09:00:00,9\n"
        "N2,ACC000001,2026-01-05 10:00:00,2026-01-06 09:00:00,11\n"
        "N3,ACC000002,2026-01-05 10:00:00,,\n",
    )
    write(
        exports,
        "training/enrollments.csv",
        "enrollment_id,account_id,course_key,registered_at,scheduled_at,attendance_status\n"
        "E1,ACC000001,webinar_api,2026-01-05 10:00:00,2099-01-01 10:00:00,registered\n"
        "E2,ACC000001,webinar_api,2099-01-05 10:00:00,2099-01-06 10:00:00,registered\n",
    )
    report = load_directory(exports, duckdb_settings)

    assert report.rows_loaded == 3 and report.rows_quarantined == 2
    reasons = rows(
        duckdb_settings, "select table_key, reason from raw_meta.quarantine order by 1, 2"
    )
    assert [table for table, _ in reasons] == ["surveys.responses", "training.enrollments"]
    assert 'column "nps_score"' in reasons[0][1] and "11" in reasons[0][1]
    assert 'column "registered_at"' in reasons[1][1]
    assert rows(duckdb_settings, "select enrollment_id from raw_training.enrollments") == [("E1",)]
