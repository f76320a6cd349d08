"""The deal review queue: ``GET /reviews``, ``GET /reviews/summary`` and ``POST /reviews/{id}``
(the logic: ``service.reviews`` over ``notifier.review``, the code path of ``ciw review``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from service import reviews
from service.routers.common import WAREHOUSE_BUSY, Page, caller_scope, page_params, plain_row
from service.scope import Scope

router = APIRouter(tags=["reviews"])

ReviewId = Annotated[
    str,
    Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$", description="Review id."),
]
SCOPED: dict[int | str, dict[str, Any]] = {
    403: {"description": "reps, or a review outside the manager's team"}
}


class ReviewDecision(BaseModel):
    """``approve`` the model's score, or ``override`` it with the manager's score and a reason."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "override"]
    score: float | None = Field(
        default=None, ge=0, le=100, description="The manager's score (0-100); override only."
    )
    note: str | None = Field(
        default=None, max_length=2000, description="Why; required for an override."
    )


def _refused(error: reviews.ReviewRefused) -> HTTPException:
    return HTTPException(status_code=error.status, detail=error.detail)


def _queue(request: Request, scope: Scope) -> reviews.QueueRead:
    try:
        reviews.require_reviewer(scope)
    except reviews.ReviewRefused as error:
        raise _refused(error) from None
    state = request.app.state
    return reviews.read_queue(state.settings, state.reader)


@router.get(
    "/reviews",
    summary="Deal scores above 90 held for a manager's review (a manager's team; leadership all)",
    responses=SCOPED,
)
def list_reviews(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    page: Annotated[Page, Depends(page_params)],
    status: Annotated[
        Literal["pending", "approved", "overridden", "all"],
        Query(description="Reviews in this status (default: those waiting)."),
    ] = "pending",
) -> dict[str, Any]:
    read = _queue(request, scope)
    chosen = reviews.in_scope(read.rows, scope, None if status == "all" else status)
    counted = reviews.summary(reviews.in_scope(read.rows, scope, None))
    window = chosen[page.offset : page.offset + page.limit + 1]
    return page.answer(
        window,
        source=read.source,
        override_rate=counted["override_rate"],
        pending=counted["pending"],
    )


@router.get(
    "/reviews/summary",
    summary="The review queue's counts and override rate in the caller's scope, per week",
    responses=SCOPED,
)
def review_summary(request: Request, scope: Annotated[Scope, Depends(caller_scope)]) -> dict:
    read = _queue(request, scope)
    return {"source": read.source, **reviews.summary(reviews.in_scope(read.rows, scope, None))}


@router.post(
    "/reviews/{review_id}",
    summary="Approve or override a held deal score (the rules of `ciw review`)",
    responses={
        **SCOPED,
        404: {"description": "unknown review"},
        409: {"description": "already decided"},
        **WAREHOUSE_BUSY,
    },
)
def decide(
    request: Request,
    review_id: ReviewId,
    scope: Annotated[Scope, Depends(caller_scope)],
    body: Annotated[ReviewDecision, Body()],
) -> dict[str, Any]:
    decision = "approved" if body.decision == "approve" else "overridden"
    try:
        decided = reviews.decide(
            request.app.state.settings,
            request.app.state.reader,
            scope,
            review_id,
            decision=decision,
            score=body.score,
            note=(body.note or "").strip() or None,
        )
    except reviews.ReviewRefused as error:
        raise _refused(error) from None
    return plain_row(decided)
