"""The deal review queue for the API (``/reviews``) and the manager's page.

Deal scores above 90 wait in ``marts.deal_review_queue`` for a manager before the rep's alert
goes out (``notifier.review``). Listing reads the queue and the decisions with
``notifier.review.read_reviews`` on the warehouse itself, so a decision shows at once; while a
DuckDB run holds the warehouse it reads the snapshot's copy (``source: snapshot``). Deciding
goes through ``notifier.review.decide_in``, the code path of ``ciw review approve / override``.
A manager sees and decides their team's reviews, the CRO and admins all, reps none.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from service.reader import MartsReader, WarehouseBusy, live_session
from service.scope import Scope
from warehouse.settings import Settings

QUEUE = "marts.deal_review_queue"
OVERRIDE_RATE = "marts.deal_review_override_rate"
STATUSES = ("pending", "approved", "overridden")


class ReviewRefused(Exception):
    """A review request the queue cannot take; ``status`` is its HTTP status."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _SnapshotStore:
    """What ``read_reviews`` needs of a store, on the service's read-only reader."""

    def __init__(self, reader: MartsReader) -> None:
        self.reader = reader

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self.reader.rows(sql, params)]

    def table_exists(self, qualified_name: str) -> bool:
        return self.reader.has_table(qualified_name)


@dataclass(frozen=True)
class QueueRead:
    rows: list[dict[str, Any]]
    source: str


def _rows(store: Any) -> list[dict[str, Any]]:
    """Every review with its decision, owner and whether the decision was carried over."""
    from notifier.review import read_reviews

    reviews = read_reviews(store)
    if not reviews:
        return []
    owners = {
        str(row[0]): row[1:]
        for row in store.execute(
            f"select review_id, owner_user_id, is_carried_over, as_of_date from {QUEUE}"
        )
    }
    rows = []
    for review in reviews:
        owner, carried, as_of = owners.get(review.review_id, (None, False, None))
        rows.append(
            {
                "review_id": review.review_id,
                "opportunity_id": review.opportunity_id,
                "deal_name": review.deal_name,
                "owner_user_id": owner,
                "owner_name": review.owner_name,
                "model_score": review.model_score,
                "threshold_score": review.threshold_score,
                "as_of_date": as_of,
                "queued_at": review.queued_at,
                "status": review.status,
                "is_carried_over": bool(carried) and review.decision is not None,
                "reviewed_score": review.reviewed_score,
                "note": review.note,
                "reviewed_by": review.reviewed_by,
                "reviewed_at": review.reviewed_at,
                "releases_alert": review.releases_alert if review.decision else None,
            }
        )
    return rows


#: Queue reads per service (its reader), for a few seconds: opening the DuckDB warehouse costs
#: about a second, too much for every page view. A decision through the service drops them.
_READS: weakref.WeakKeyDictionary[MartsReader, tuple[float, QueueRead]] = (
    weakref.WeakKeyDictionary()
)
QUEUE_READ_SECONDS = 10.0


def read_queue(settings: Settings, reader: MartsReader) -> QueueRead:
    """Every review, live when the warehouse can be read (remembered for
    ``QUEUE_READ_SECONDS``), else from the snapshot."""
    now = time.monotonic()
    cached = _READS.get(reader)
    if cached is not None and cached[0] > now:
        return cached[1]
    read = _read_queue(settings, reader)
    if read.source == "warehouse":
        _READS[reader] = (now + QUEUE_READ_SECONDS, read)
    return read


def forget_reads(reader: MartsReader) -> None:
    _READS.pop(reader, None)


def _read_queue(settings: Settings, reader: MartsReader) -> QueueRead:
    from notifier.store import Store

    try:
        with live_session(settings) as session:
            store = Store(session, settings)
            if not store.table_exists(QUEUE):
                return QueueRead([], "warehouse")
            return QueueRead(_rows(store), "warehouse")
    except WarehouseBusy:
        if not reader.has_table(QUEUE):
            return QueueRead([], "snapshot")
        return QueueRead(_rows(_SnapshotStore(reader)), "snapshot")


def require_reviewer(scope: Scope) -> None:
    if scope.caller.role == "rep":
        raise ReviewRefused(
            403,
            "the deal review queue is for managers: a rep's own deal scores are reviewed"
            " by their manager",
        )


def in_scope(rows: list[dict[str, Any]], scope: Scope, status: str | None) -> list[dict]:
    """The caller's reviews (a manager's team, everything for leadership), oldest first;
    ``status`` None keeps every status."""
    return [
        row
        for row in rows
        if scope.allows(row["owner_user_id"]) and (status is None or row["status"] == status)
    ]


def _monday(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    return day - timedelta(days=day.weekday())


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and the override rate (overridden of decided, carried-over decisions apart, as
    ``marts.deal_review_override_rate`` counts them) over ``rows``, and per queue week."""

    def counts(chosen: list[dict[str, Any]]) -> dict[str, Any]:
        own = [row for row in chosen if not row["is_carried_over"]]
        approved = sum(row["status"] == "approved" for row in own)
        overridden = [row for row in own if row["status"] == "overridden"]
        decided = approved + len(overridden)
        changes = [row["reviewed_score"] - row["model_score"] for row in overridden]
        return {
            "queued": len(chosen),
            "pending": sum(row["status"] == "pending" for row in chosen),
            "carried_over": len(chosen) - len(own),
            "approved": approved,
            "overridden": len(overridden),
            "override_rate": round(len(overridden) / decided, 4) if decided else None,
            "avg_override_change": round(sum(changes) / len(changes), 2) if changes else None,
        }

    weeks: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        week = _monday(row["queued_at"])
        if week is not None:
            weeks.setdefault(week, []).append(row)
    return {
        **counts(rows),
        "weeks": [
            {"queue_week": week.isoformat(), **counts(chosen)}
            for week, chosen in sorted(weeks.items(), reverse=True)
        ],
    }


def check_decision(decision: str, score: float | None, note: str | None) -> None:
    """422 for a decision the queue would refuse (the rules of ``notifier.review.decide_in``)."""
    if decision not in ("approved", "overridden"):
        raise ReviewRefused(422, f"decision: approve or override, not {decision!r}")
    if decision == "approved" and score is not None:
        raise ReviewRefused(422, "score: an approval keeps the model's score; override instead")
    if decision == "overridden":
        if score is None or not 0 <= score <= 100:
            raise ReviewRefused(422, "score: an override needs the manager's score (0-100)")
        if not (note or "").strip():
            raise ReviewRefused(422, "note: an override needs a reason")


def decide(
    settings: Settings,
    reader: MartsReader,
    scope: Scope,
    review_id: str,
    *,
    decision: str,
    score: float | None,
    note: str | None,
) -> dict[str, Any]:
    """Approve or override one review in the caller's scope (``ciw review``'s code path)."""
    from notifier.review import ReviewError, decide_in
    from notifier.store import Store

    require_reviewer(scope)
    check_decision(decision, score, note)
    with live_session(settings) as session:
        store = Store(session, settings)
        if not store.table_exists(QUEUE):
            raise ReviewRefused(404, f"no review {review_id}: the review queue is empty")
        rows = {row["review_id"]: row for row in _rows(store)}
        found = rows.get(review_id)
        if found is None:
            raise ReviewRefused(404, f"no deal score in the review queue has the id {review_id}")
        if not scope.allows(found["owner_user_id"]):
            raise ReviewRefused(403, f"review {review_id} is for a deal outside your team")
        if found["status"] != "pending":
            carried = " (carried over from an earlier review)" if found["is_carried_over"] else ""
            raise ReviewRefused(
                409,
                f"review {review_id} was already {found['status']} by"
                f" {found['reviewed_by']}{carried}",
            )
        try:
            review = decide_in(
                store,
                review_id,
                decision=decision,
                score=score,
                note=note,
                reviewer=scope.caller.user_id,
            )
        except ReviewError as refused:  # decided by someone else between the read and the write
            raise ReviewRefused(409, str(refused)) from None
        finally:
            forget_reads(reader)
    return {
        **found,
        "status": review.status,
        "reviewed_score": review.reviewed_score,
        "note": review.note,
        "reviewed_by": review.reviewed_by,
        "reviewed_at": review.reviewed_at,
        "releases_alert": review.releases_alert,
    }
