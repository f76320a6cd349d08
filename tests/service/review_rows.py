"""Deal review rows for the service's tests: added to ``marts.deal_review_queue`` as dbt writes
them (ids ``test...``, pending, scores from 91 up) for given reps' open deals, and removed again
with their decisions, so a shared built warehouse is left as it was found."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from warehouse.settings import Settings


def _execute(settings: Settings, sql: str, params: tuple | list = ()) -> list[tuple]:
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        return session.execute(sql, params)


@contextmanager
def queued_reviews(settings: Settings, owners: dict[str, int]) -> Iterator[list[str]]:
    """``owners``: rep -> how many of their open deals to queue; yields the review ids."""
    had_decisions = _execute(
        settings,
        "select count(*) from information_schema.tables"
        " where table_schema = 'ops' and table_name = 'deal_score_reviews'",
    )[0][0]
    added: list[str] = []
    try:
        for owner, count in owners.items():
            deals = _execute(
                settings,
                "select opportunity_id, account_name, owner_name, as_of_date"
                " from marts.opportunity_pipeline where owner_user_id = %s"
                " order by opportunity_id limit %s",
                (owner, count),
            )
            assert deals, f"rep {owner} has no open deal to queue a review for"
            for number, (opportunity, name, owner_name, as_of) in enumerate(deals):
                review_id = f"test{uuid.uuid4().hex[:12]}"
                _execute(
                    settings,
                    "insert into marts.deal_review_queue (review_id, opportunity_id, deal_name,"
                    " owner_user_id, owner_name, model_score, threshold_score, as_of_date,"
                    " queued_at, review_status, is_carried_over) values"
                    " (%s, %s, %s, %s, %s, %s, 75, %s, current_timestamp, 'pending', false)",
                    (review_id, opportunity, name, owner, owner_name, 91.0 + number, as_of),
                )
                added.append(review_id)
        yield added
    finally:
        if added:
            ours = f"where review_id in ({', '.join(['%s'] * len(added))})"
            _execute(settings, f"delete from marts.deal_review_queue {ours}", added)
            if had_decisions:
                _execute(settings, f"delete from ops.deal_score_reviews {ours}", added)
            else:
                _execute(settings, "drop table if exists ops.deal_score_reviews")
