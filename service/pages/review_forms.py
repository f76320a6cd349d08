"""``POST /pages/reviews/{id}``: the manager view's approve and override forms.

The form carries the session's CSRF token; the decision goes through ``service.reviews.decide``
(``notifier.review.decide_in``, the code path of ``ciw review`` and ``POST /reviews/{id}``).
A decision redirects (303) back to the manager view, which then says what was recorded; a
refusal is a page with the reason and the HTTP status the API gives (403, 404, 409, 422, 503).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service import reviews
from service.pages.guard import USER_ID, LoginRequired, message, read_form, signed_in, to_login
from service.pages.session import csrf_matches
from service.reader import WarehouseBusy

router = APIRouter()
TITLE = "Deal review"
DECISIONS = {"approve": "approved", "override": "overridden"}


def _score(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        return -1.0  # refused below as outside 0-100
    return value if value == value else -1.0


@router.post("/reviews/{review_id}")
async def decide(request: Request, review_id: str) -> Response:
    try:
        session, scope = signed_in(request)
    except LoginRequired:
        return to_login(request)
    form = await read_form(request)
    if form is None or not csrf_matches(session, form.get("csrf_token")):
        return message(request, session, TITLE, "The form expired: open the page again.", 403)
    decision = DECISIONS.get(form.get("decision", ""))
    if decision is None:
        return message(request, session, TITLE, "Choose approve or override.", 422)
    if len(review_id) > 128:
        return message(request, session, TITLE, "No review with that id.", 404)
    back = form.get("manager") or ""
    settings = request.app.state.settings
    try:
        reviews.decide(
            settings,
            request.app.state.reader,
            scope,
            review_id,
            decision=decision,
            score=_score(form.get("score")) if decision == "overridden" else None,
            note=(form.get("note") or "").strip() or None,
        )
    except reviews.ReviewRefused as refused:
        return message(request, session, TITLE, refused.detail, refused.status)
    except WarehouseBusy as busy:
        response = message(request, session, TITLE, str(busy), 503)
        response.headers["Retry-After"] = "30"
        return response
    query = {"reviewed": review_id}
    if back and USER_ID.match(back) and session.role != "manager":
        query["manager"] = back
    return RedirectResponse(f"/pages/manager?{urlencode(query)}#reviews", status_code=303)
