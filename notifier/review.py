"""Human review of very high deal scores before the rep is alerted (the sales-insight design's
"human review for scores > 90").

The queue is ``marts.deal_review_queue`` (dbt): one row per high-risk-deal alert whose score is
above var ``deal_review_min_score``; its ``review_id`` is the alert's id. A manager's decision
is one row of ``ops.deal_score_reviews`` (``approved``, or ``overridden`` with their own score
and a note), written here for ``ciw review``. Until a decision exists the notifier holds the
alert (``hold_for_review``); an approved one is sent as raised, an overridden one is sent with
the manager's score beside the model's when that score still passes the alert's threshold, and
never when it does not. A decision on a deal also covers its alerts of the next days
(var ``deal_review_carry_days``; the mart carries it over). ``marts.deal_review_override_rate``
tracks how often managers override.
"""

from __future__ import annotations

import dataclasses
import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifier.config import NotifierError
from notifier.messages import Alert
from notifier.store import OPS_SCHEMA, Store, open_store, utc_now
from warehouse.settings import Settings

QUEUE_TABLE = "marts.deal_review_queue"
REVIEWS_TABLE = f"{OPS_SCHEMA}.deal_score_reviews"
ALERTS_TABLE = "marts.alerts"
#: The shortest id prefix ``ciw review approve`` accepts.
MIN_ID_PREFIX = 6
DECISIONS = ("approved", "overridden")

REVIEWS_DDL = f"""
create table if not exists {REVIEWS_TABLE} (
    review_id varchar not null primary key,
    opportunity_id varchar not null,
    model_score double precision,
    decision varchar not null,
    reviewed_score double precision not null,
    note varchar,
    reviewed_by varchar not null,
    reviewed_at timestamp not null
)
"""


class ReviewError(NotifierError):
    """A review command the queue cannot take (unknown id, already reviewed, bad score)."""


@dataclass(frozen=True)
class Review:
    """One queued deal score and its decision, if any."""

    review_id: str
    opportunity_id: str
    deal_name: str | None
    owner_name: str | None
    model_score: float
    threshold_score: float
    queued_at: datetime
    decision: str | None = None
    reviewed_score: float | None = None
    note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None

    @property
    def status(self) -> str:
        return self.decision or "pending"

    @property
    def releases_alert(self) -> bool:
        """Whether the rep's alert goes out: approved, or overridden to a score that still
        passes the alert's threshold."""
        if self.decision == "approved":
            return True
        return self.decision == "overridden" and (self.reviewed_score or 0) > self.threshold_score


def ensure_reviews_table(store: Store) -> None:
    store.execute(f"create schema if not exists {OPS_SCHEMA}")
    store.execute(REVIEWS_DDL)


def read_reviews(store: Store) -> list[Review]:
    """Every queued deal score with its decision (live: decisions made since the last build
    count). Empty when the queue mart does not exist yet."""
    if not store.table_exists(QUEUE_TABLE):
        return []
    decisions: dict[str, tuple[Any, ...]] = {}
    if store.table_exists(REVIEWS_TABLE):
        for row in store.execute(
            f"select review_id, decision, reviewed_score, note, reviewed_by, reviewed_at"
            f" from {REVIEWS_TABLE}"
        ):
            decisions[str(row[0])] = row[1:]
    carried = _carried_decisions(store)
    reviews = []
    for row in store.execute(
        "select review_id, opportunity_id, deal_name, owner_name, model_score, threshold_score,"
        f" queued_at from {QUEUE_TABLE} order by queued_at, review_id"
    ):
        review = Review(
            review_id=str(row[0]),
            opportunity_id=str(row[1]),
            deal_name=row[2],
            owner_name=row[3],
            model_score=float(row[4]),
            threshold_score=float(row[5]),
            queued_at=row[6],
        )
        decided = decisions.get(review.review_id) or carried.get(review.review_id)
        if decided:
            review = dataclasses.replace(
                review,
                decision=decided[0],
                reviewed_score=None if decided[1] is None else float(decided[1]),
                note=decided[2],
                reviewed_by=decided[3],
                reviewed_at=decided[4],
            )
        reviews.append(review)
    return reviews


def _carried_decisions(store: Store) -> dict[str, tuple[Any, ...]]:
    """Decisions the queue mart carried over from an earlier review of the same deal (made
    before the alert, so the mart knows them); empty for a mart built before carrying over."""
    columns = {
        str(row[0])
        for row in store.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'deal_review_queue'"
        )
    }
    if "is_carried_over" not in columns:
        return {}
    rows = store.execute(
        "select review_id, review_status, reviewed_score, review_note, reviewed_by, reviewed_at"
        f" from {QUEUE_TABLE} where is_carried_over"
    )
    return {str(row[0]): tuple(row[1:]) for row in rows}


def list_reviews(settings: Settings, *, include_done: bool = False) -> list[Review]:
    with open_store(settings) as store:
        reviews = read_reviews(store)
    return reviews if include_done else [review for review in reviews if review.decision is None]


def find_review(reviews: Sequence[Review], review_id: str) -> Review:
    """The review whose id is ``review_id`` or starts with it (at least ``MIN_ID_PREFIX``)."""
    wanted = review_id.strip().lower()
    exact = [review for review in reviews if review.review_id == wanted]
    if exact:
        return exact[0]
    if len(wanted) < MIN_ID_PREFIX:
        raise ReviewError(
            f"review id {review_id!r} is too short: give at least {MIN_ID_PREFIX} characters"
        )
    matches = [review for review in reviews if review.review_id.startswith(wanted)]
    if not matches:
        raise ReviewError(f"no deal score in the review queue has the id {review_id!r}")
    if len(matches) > 1:
        raise ReviewError(
            f"review id {review_id!r} is ambiguous: {len(matches)} reviews start with it"
        )
    return matches[0]


def decide(
    settings: Settings,
    review_id: str,
    *,
    decision: str,
    score: float | None = None,
    note: str | None = None,
    reviewer: str | None = None,
    now: datetime | None = None,
) -> Review:
    """Record a manager's decision on a queued deal score; a decision is final."""
    with open_store(settings) as store:
        return decide_in(
            store, review_id, decision=decision, score=score, note=note, reviewer=reviewer, now=now
        )


def decide_in(
    store: Store,
    review_id: str,
    *,
    decision: str,
    score: float | None = None,
    note: str | None = None,
    reviewer: str | None = None,
    now: datetime | None = None,
) -> Review:
    """``decide`` on an open store (the service's ``POST /reviews/{id}`` takes this path)."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == "overridden":
        if score is None or not 0 <= score <= 100:
            raise ReviewError("an override needs --score between 0 and 100")
        if not (note or "").strip():
            raise ReviewError("an override needs a --note saying why")
    reviewer = reviewer or f"cli:{getpass.getuser()}"
    now = now or utc_now()
    review = find_review(read_reviews(store), review_id)
    if review.decision is not None:
        raise ReviewError(
            f"review {review.review_id} was already {review.decision} by {review.reviewed_by}"
        )
    reviewed_score = review.model_score if decision == "approved" else float(score or 0)
    ensure_reviews_table(store)
    inserted = store.execute(
        f"insert into {REVIEWS_TABLE} (review_id, opportunity_id, model_score, decision,"
        " reviewed_score, note, reviewed_by, reviewed_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict do nothing returning review_id",
        (
            review.review_id,
            review.opportunity_id,
            review.model_score,
            decision,
            reviewed_score,
            note,
            reviewer,
            now,
        ),
    )
    if not inserted:  # another manager decided in the meantime
        raise ReviewError(f"review {review.review_id} was decided by someone else just now")
    return dataclasses.replace(
        review,
        decision=decision,
        reviewed_score=reviewed_score,
        note=note,
        reviewed_by=reviewer,
        reviewed_at=now,
    )


@dataclass
class HoldResult:
    alerts: list[Alert]
    held: int = 0  # waiting for a manager's review
    withheld: int = 0  # overridden below the alert's threshold: never sent


def hold_for_review(store: Store, alerts: Sequence[Alert]) -> HoldResult:
    """The notifier's hook: alerts whose deal score waits for review are held back, those a
    manager overrode below the threshold are dropped, and the reviewed ones carry the review."""
    reviews = {review.review_id: review for review in read_reviews(store)}
    result = HoldResult(alerts=[])
    for alert in alerts:
        review = reviews.get(alert.alert_id)
        if review is None:
            result.alerts.append(alert)
        elif review.decision is None:
            result.held += 1
        elif not review.releases_alert:
            result.withheld += 1
        else:
            result.alerts.append(with_review_line(alert, review))
    return result


def with_review_line(alert: Alert, review: Review) -> Alert:
    if review.decision == "approved":
        line = f"Manager review: approved by {review.reviewed_by}"
    else:
        line = (
            f"Manager review: {review.reviewed_score:.0f}/100 by {review.reviewed_by}"
            f" (model {review.model_score:.0f})"
        )
    if review.note:
        line += f" - {review.note}"
    details = f"{alert.details}; {line}" if alert.details else line
    return dataclasses.replace(alert, details=details)
