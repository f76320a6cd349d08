"""What every page handler shares: the session check, the message page, and ``view``, which
wraps a page's data in the sign-in check, the empty and unavailable states and the freshness
banner.

Every page reads the session (no session: a redirect to the sign-in form), re-checks that its
key is still active, and scopes its rows with the API's :class:`service.scope.Scope`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from service.auth import Caller, RateLimiter
from service.pages.marts import MartReader, MartsMissing, marts_age_hours
from service.pages.render import page
from service.pages.session import SESSION_COOKIE, PageSession, SessionSigner
from service.reader import MartsUnavailable
from service.scope import Scope

MAX_FORM_BYTES = 4096
USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
FILL_STEPS = ["ciw generate", "ciw run --exports data/sample_exports"]


class LoginRequired(Exception):
    """No valid session: the browser goes to the sign-in form."""


def session_signer(request: Request) -> SessionSigner:
    state = request.app.state
    if not hasattr(state, "page_sessions"):
        state.page_sessions = SessionSigner.from_env()
    signer: SessionSigner = state.page_sessions
    return signer


def login_limiter(request: Request) -> RateLimiter:
    """Failed sign-ins per client address: a burst of 10, then one every two seconds."""
    state = request.app.state
    if not hasattr(state, "page_login_limiter"):
        state.page_login_limiter = RateLimiter(rate=0.5, burst=10)
    limiter: RateLimiter = state.page_login_limiter
    return limiter


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def safe_next(target: str | None) -> str:
    """Only a path of this app's pages (never another site) is a place to return to."""
    if target and target.startswith("/pages/") and "//" not in target and "\\" not in target:
        return target
    return "/pages/"


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/pages/login?next={quote(target, safe='/')}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def caller_of(request: Request, session: PageSession) -> Caller | None:
    """The session's caller while its key is still active (a revoked key ends the session)."""
    records = request.app.state.keys._current()  # the key table the service keeps current
    record = records.get(session.key_id)
    if record is None or record.revoked:
        return None
    return Caller(key_id=record.key_id, role=record.role, user_id=record.user_id)


def signed_in(request: Request) -> tuple[PageSession, Scope]:
    session = session_signer(request).read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequired
    caller = caller_of(request, session)
    if caller is None or caller.role != session.role:
        raise LoginRequired
    return session, request.app.state.scopes.scope(caller)


def message(
    request: Request,
    session: PageSession | None,
    title: str,
    message: str,
    status_code: int,
    steps: list[str] | None = None,
) -> Response:
    context = {"title": title, "message": message, "steps": steps, "kind": "error"}
    if status_code < 400:
        context["kind"] = "empty"
    return page(request, "message.html", context, session=session, status_code=status_code)


def view(
    request: Request,
    title: str,
    template: str,
    build: Any,
) -> Response:
    """Sign-in check, a reader, the empty and unavailable states, the freshness banner."""
    try:
        session, scope = signed_in(request)
    except LoginRequired:
        return to_login(request)
    reader = MartReader(request.app.state.reader)
    try:
        reader.require()
        outcome = build(reader, session, scope)
        if isinstance(outcome, Response):
            return outcome
        built_at = reader.built_at()
    except MartsMissing:
        return message(
            request,
            session,
            title,
            "No marts yet: this warehouse has not been built. Fill it with the daily run:",
            200,
            FILL_STEPS,
        )
    except MartsUnavailable as error:
        return message(request, session, title, str(error), 503, FILL_STEPS)
    age = marts_age_hours(built_at)
    limit = request.app.state.options.stale_after_hours
    freshness = {
        "built_at": built_at,
        "age_hours": age,
        "limit": limit,
        "stale": age is not None and age > limit,
    }
    context = {"title": title, "freshness": freshness, "everything": scope.everything, **outcome}
    return page(request, template, context, session=session)


async def read_form(request: Request) -> dict[str, str] | None:
    """A small url-encoded form; None when it is anything else."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return {key: values[0] for key, values in parsed.items()}
