"""Feedback: values checked with errors that name file, row and column; unknown alerts refused;
rows stored on both warehouses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from notifier.feedback import (
    Feedback,
    FeedbackError,
    import_feedback_csv,
    parse_feedback,
    read_feedback_csv,
    record_feedback,
)
from notifier.store import open_store
from tests.notifier.conftest import make_alert, write_alerts
from warehouse.settings import Settings

NOW = datetime(2026, 11, 22, 9, 30)
HEADER = "alert_id,alert_accuracy,alert_relevance,action_effectiveness,priority_rating,comment\n"


def feedback_for(alert_id: str) -> Feedback:
    return parse_feedback(
        {
            "alert_id": alert_id,
            "alert_accuracy": "somewhat accurate",
            "alert_relevance": "relevant",
            "action_effectiveness": "very_effective",
            "priority_rating": "4",
        },
        recorded_by="csm@example.com",
        now=NOW,
    )


def test_values_are_normalised() -> None:
    feedback = feedback_for("a" * 32)

    assert feedback.alert_accuracy == "somewhat_accurate"
    assert feedback.priority_rating == 4
    assert feedback.recorded_at == NOW


def test_bad_csv_cell_names_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(
        HEADER + "abc,accurate,relevant,effective,3,\nabd,accurate,relevant,effective,9,\n"
    )

    with pytest.raises(FeedbackError) as failure:
        read_feedback_csv(path, recorded_by="me", now=NOW)

    assert str(failure.value) == (
        "ratings.csv row 3, column priority_rating: '9' is not a whole number 1-5"
    )


def test_csv_without_a_required_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("alert_id,alert_accuracy\nabc,accurate\n")

    with pytest.raises(FeedbackError, match="missing column alert_relevance"):
        read_feedback_csv(path, recorded_by="me", now=NOW)


def test_unknown_choice_lists_the_allowed_values() -> None:
    with pytest.raises(FeedbackError, match="'great' is not one of accurate, somewhat_accurate"):
        parse_feedback(
            {
                "alert_id": "x",
                "alert_accuracy": "great",
                "alert_relevance": "relevant",
                "action_effectiveness": "effective",
                "priority_rating": "2",
            },
            recorded_by="me",
            now=NOW,
        )


def test_record_and_import_on_the_warehouse(warehouse_settings: Settings, tmp_path: Path) -> None:
    alerts = [make_alert(1), make_alert(2)]
    write_alerts(warehouse_settings, alerts)
    path = tmp_path / "ratings.csv"
    path.write_text(
        HEADER
        + f"{alerts[0].alert_id},accurate,very_relevant,effective,5,called them\n"
        + f"{alerts[1].alert_id},inaccurate,not_relevant,not_effective,1,\n"
    )

    feedback_id = record_feedback(warehouse_settings, feedback_for(alerts[0].alert_id))
    imported = import_feedback_csv(warehouse_settings, path, recorded_by="importer", now=NOW)

    assert imported == 2
    with open_store(warehouse_settings) as store:
        rows = store.execute(
            "select feedback_id, alert_accuracy, recorded_by, comment from ops.alert_feedback"
            " order by alert_accuracy"
        )
    assert [row[1:] for row in rows] == [
        ("accurate", "importer", "called them"),
        ("inaccurate", "importer", None),
        ("somewhat_accurate", "csm@example.com", None),
    ]
    assert feedback_id in {row[0] for row in rows}


def test_unknown_alert_id_is_refused_and_nothing_is_stored(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    alert = make_alert(1)
    write_alerts(duckdb_settings, [alert])
    path = tmp_path / "ratings.csv"
    path.write_text(
        HEADER
        + f"{alert.alert_id},accurate,relevant,effective,3,\n"
        + "0000deadbeef,accurate,relevant,effective,3,\n"
    )

    with pytest.raises(FeedbackError, match=r"ratings\.csv row 3, unknown alert id '0000deadbeef'"):
        import_feedback_csv(duckdb_settings, path, recorded_by="me", now=NOW)

    with open_store(duckdb_settings) as store:
        assert not store.table_exists("ops.alert_feedback")
