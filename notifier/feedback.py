"""CSM feedback on alerts, in ops.alert_feedback: one row per rating, from the command line or
a CSV file. The ratings are the copilot design's: accuracy, relevance, action effectiveness and a
1-5 priority. Every row is checked before any is written, and unknown alert ids are refused."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from notifier.config import NotifierError
from notifier.ratings import ACCURACY, EFFECTIVENESS, PRIORITIES, RELEVANCE
from notifier.store import ALERTS_TABLE, OPS_SCHEMA, Store, open_store
from warehouse.settings import Settings

FEEDBACK_TABLE = f"{OPS_SCHEMA}.alert_feedback"


#: CSV columns: the first five are required, the others optional.
REQUIRED_COLUMNS = (
    "alert_id",
    "alert_accuracy",
    "alert_relevance",
    "action_effectiveness",
    "priority_rating",
)
OPTIONAL_COLUMNS = ("comment", "recorded_by", "recorded_at")

FEEDBACK_DDL = f"""
create table if not exists {FEEDBACK_TABLE} (
    feedback_id varchar primary key,
    alert_id varchar not null,
    recorded_at timestamp not null,
    recorded_by varchar not null,
    alert_accuracy varchar not null,
    alert_relevance varchar not null,
    action_effectiveness varchar not null,
    priority_rating integer not null,
    comment varchar
)
"""


class FeedbackError(NotifierError):
    """A feedback value or file the user must fix; the message names the place."""


@dataclass(frozen=True)
class Feedback:
    alert_id: str
    alert_accuracy: str
    alert_relevance: str
    action_effectiveness: str
    priority_rating: int
    recorded_by: str
    recorded_at: datetime
    comment: str | None = None


def _choice(value: str, allowed: Sequence[str], column: str, where: str) -> str:
    cleaned = value.strip().lower().replace(" ", "_").replace("-", "_")
    if cleaned not in allowed:
        raise FeedbackError(f"{where}column {column}: {value!r} is not one of {', '.join(allowed)}")
    return cleaned


def _priority(value: str, where: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) not in PRIORITIES:
        raise FeedbackError(f"{where}column priority_rating: {value!r} is not a whole number 1-5")
    return int(text)


def _timestamp(value: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FeedbackError(
            f"{where}column recorded_at: {value!r} is not an ISO timestamp"
        ) from None
    if parsed.tzinfo is not None:  # stored as naive UTC like every warehouse timestamp
        from datetime import UTC

        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def parse_feedback(
    values: Mapping[str, str | None], *, recorded_by: str, now: datetime, where: str = ""
) -> Feedback:
    """One feedback from text values (a CSV row or the command line's options).

    ``where`` prefixes errors ("ratings.csv row 3, ") so the user finds the bad cell.
    """
    missing = [column for column in REQUIRED_COLUMNS if not (values.get(column) or "").strip()]
    if missing:
        raise FeedbackError(f"{where}column {missing[0]}: a value is required")
    return Feedback(
        alert_id=str(values["alert_id"]).strip(),
        alert_accuracy=_choice(str(values["alert_accuracy"]), ACCURACY, "alert_accuracy", where),
        alert_relevance=_choice(
            str(values["alert_relevance"]), RELEVANCE, "alert_relevance", where
        ),
        action_effectiveness=_choice(
            str(values["action_effectiveness"]), EFFECTIVENESS, "action_effectiveness", where
        ),
        priority_rating=_priority(str(values["priority_rating"]), where),
        recorded_by=(values.get("recorded_by") or "").strip() or recorded_by,
        recorded_at=_timestamp(str(values["recorded_at"]), where)
        if (values.get("recorded_at") or "").strip()
        else now,
        comment=(values.get("comment") or "").strip() or None,
    )


def read_feedback_csv(path: Path, *, recorded_by: str, now: datetime) -> list[Feedback]:
    """Every row of a feedback CSV (header row required), or an error naming file, row, column."""
    if not path.is_file():
        raise FileNotFoundError(f"feedback file not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        absent = [column for column in REQUIRED_COLUMNS if column not in header]
        if absent:
            raise FeedbackError(f"{path.name}: missing column {absent[0]} in the header row")
        unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise FeedbackError(f"{path.name}: unknown column {unknown[0]} in the header row")
        rows = []
        for number, raw in enumerate(reader, start=2):  # row 1 is the header
            values = {(key or "").strip(): value for key, value in raw.items()}
            rows.append(
                parse_feedback(
                    values, recorded_by=recorded_by, now=now, where=f"{path.name} row {number}, "
                )
            )
    if not rows:
        raise FeedbackError(f"{path.name}: no feedback rows")
    return rows


def _check_alerts_exist(store: Store, feedback: Sequence[Feedback], sources: Sequence[str]) -> None:
    if not store.table_exists(ALERTS_TABLE):
        raise FeedbackError(
            f"{ALERTS_TABLE} does not exist: run `ciw run` before recording feedback"
        )
    wanted = sorted({item.alert_id for item in feedback})
    placeholders = ", ".join(["%s"] * len(wanted))
    known = {
        row[0]
        for row in store.execute(
            f"select alert_id from {ALERTS_TABLE} where alert_id in ({placeholders})", wanted
        )
    }
    for item, source in zip(feedback, sources, strict=True):
        if item.alert_id not in known:
            raise FeedbackError(
                f"{source}unknown alert id {item.alert_id!r} (not in {ALERTS_TABLE})"
            )


def _insert(store: Store, feedback: Iterable[Feedback]) -> list[str]:
    store.execute(f"create schema if not exists {OPS_SCHEMA}")
    store.execute(FEEDBACK_DDL)
    ids = []
    for item in feedback:
        feedback_id = uuid.uuid4().hex
        store.execute(
            f"insert into {FEEDBACK_TABLE} (feedback_id, alert_id, recorded_at, recorded_by,"
            " alert_accuracy, alert_relevance, action_effectiveness, priority_rating, comment)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                feedback_id,
                item.alert_id,
                item.recorded_at,
                item.recorded_by,
                item.alert_accuracy,
                item.alert_relevance,
                item.action_effectiveness,
                item.priority_rating,
                item.comment,
            ),
        )
        ids.append(feedback_id)
    return ids


def record_feedback(settings: Settings, feedback: Feedback) -> str:
    """Store one feedback for a known alert; returns its feedback id."""
    with open_store(settings) as store:
        _check_alerts_exist(store, [feedback], [""])
        return _insert(store, [feedback])[0]


def import_feedback_csv(settings: Settings, path: Path, *, recorded_by: str, now: datetime) -> int:
    """Validate every row of the file, then store them all; returns the number stored."""
    rows = read_feedback_csv(path, recorded_by=recorded_by, now=now)
    sources = [f"{path.name} row {number}, " for number in range(2, len(rows) + 2)]
    with open_store(settings) as store:
        _check_alerts_exist(store, rows, sources)
        return len(_insert(store, rows))
