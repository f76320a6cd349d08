"""``ciw review``: deal scores above 90 wait for a manager before the rep is alerted.

The queue and the rules live in ``notifier.review``; the notifier holds a queued alert until it
is approved, or sends it with the manager's score after an override (withheld when that score
no longer passes the alert's threshold).
"""

from __future__ import annotations

import click

from ciw.notify_cli import NotifyFailed
from ciw.options import target_option
from warehouse.settings import Settings


@click.group("review")
def review_group() -> None:
    """Human review of very high deal scores: list, approve, override."""


@review_group.command("list")
@click.option("--all", "include_done", is_flag=True, help="Also the reviews already decided.")
@target_option
def list_command(include_done: bool, target: str | None) -> None:
    """Deal scores waiting for review (oldest first), with their ids."""
    from notifier.config import NotifierError
    from notifier.review import list_reviews

    try:
        reviews = list_reviews(Settings.from_env(target), include_done=include_done)
    except NotifierError as error:
        raise NotifyFailed(str(error)) from None
    if not reviews:
        click.echo("no deal scores waiting for review" if not include_done else "no reviews")
        return
    for review in reviews:
        decided = ""
        if review.decision:
            decided = f"  -> {review.decision} {review.reviewed_score:.0f} by {review.reviewed_by}"
        click.echo(
            f"{review.review_id}  {review.status:<10}  score {review.model_score:5.1f}"
            f"  {review.opportunity_id}  {review.deal_name or ''}  rep {review.owner_name or '-'}"
            f"  queued {review.queued_at:%Y-%m-%d %H:%M}{decided}"
        )
    click.echo(f"{len(reviews)} reviews")


@review_group.command("approve")
@click.argument("review_id")
@click.option("--note", help="Why (optional).")
@click.option("--by", "reviewer", help="Who approves (default cli:<os user>).")
@target_option
def approve_command(
    review_id: str, note: str | None, reviewer: str | None, target: str | None
) -> None:
    """Approve a deal score as the model gave it: the rep's alert goes out on the next notify."""
    _decide(review_id, "approved", None, note, reviewer, target)


@review_group.command("override")
@click.argument("review_id")
@click.option("--score", type=click.FloatRange(0, 100), required=True, help="Your score, 0-100.")
@click.option("--note", required=True, help="Why the model's score is wrong.")
@click.option("--by", "reviewer", help="Who overrides (default cli:<os user>).")
@target_option
def override_command(
    review_id: str, score: float, note: str, reviewer: str | None, target: str | None
) -> None:
    """Replace a deal score with yours: the alert goes out with it when it still passes the
    threshold, and never when it does not."""
    _decide(review_id, "overridden", score, note, reviewer, target)


def _decide(
    review_id: str,
    decision: str,
    score: float | None,
    note: str | None,
    reviewer: str | None,
    target: str | None,
) -> None:
    from notifier.config import NotifierError
    from notifier.review import decide

    try:
        review = decide(
            Settings.from_env(target),
            review_id,
            decision=decision,
            score=score,
            note=note,
            reviewer=reviewer,
        )
    except NotifierError as error:
        raise NotifyFailed(str(error)) from None
    outcome = "the rep's alert is released" if review.releases_alert else "the alert is withheld"
    click.echo(
        f"{review.review_id} {review.decision} ({review.reviewed_score:.0f}/100, model"
        f" {review.model_score:.0f}): {outcome}; `ciw notify` sends what is released"
    )
