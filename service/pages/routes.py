"""The pages: sign-in with an API key, then server-rendered views scoped like the API.

``GET /pages/login`` shows the form; ``POST /pages/login`` checks the key with the service's
key store and sets a signed, HttpOnly, SameSite=Strict session cookie with an expiry.
Every page reads the session (no session: a redirect to the sign-in form), re-checks that its
key is still active, and scopes its rows with the API's :class:`service.scope.Scope`. Forms
that change something carry a CSRF token. Handlers are plain functions: FastAPI runs them in
its thread pool, so the blocking reads never hold the event loop.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.auth import Caller, RateLimiter
from service.pages import charts
from service.pages.customers import (
    alert_detail,
    alert_filters,
    alerts_inbox,
    health_overview,
    split_list,
)
from service.pages.marts import MartReader, MartsMissing, marts_age_hours
from service.pages.render import SECURITY_HEADERS, home_path, page
from service.pages.sales import cro_view, manager_view, managers, rep_view
from service.pages.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageSession,
    SessionSigner,
    csrf_matches,
)
from service.pages.static import router as static_router
from service.reader import MartsUnavailable
from service.scope import Scope

router = APIRouter(prefix="/pages", include_in_schema=False)
router.include_router(static_router)
MAX_FORM_BYTES = 4096
USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
FILL_STEPS = ["ciw generate", "ciw run --exports data/sample_exports"]


class LoginRequired(Exception):
    """No valid session: the browser goes to the sign-in form."""


def _signer(request: Request) -> SessionSigner:
    state = request.app.state
    if not hasattr(state, "page_sessions"):
        state.page_sessions = SessionSigner.from_env()
    signer: SessionSigner = state.page_sessions
    return signer


def _login_limiter(request: Request) -> RateLimiter:
    """Failed sign-ins per client address: a burst of 10, then one every two seconds."""
    state = request.app.state
    if not hasattr(state, "page_login_limiter"):
        state.page_login_limiter = RateLimiter(rate=0.5, burst=10)
    limiter: RateLimiter = state.page_login_limiter
    return limiter


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Only a path of this app's pages (never another site) is a place to return to."""
    if target and target.startswith("/pages/") and "//" not in target and "\\" not in target:
        return target
    return "/pages/"


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/pages/login?next={quote(target, safe='/')}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _caller(request: Request, session: PageSession) -> Caller | None:
    """The session's caller while its key is still active (a revoked key ends the session)."""
    records = request.app.state.keys._current()  # the key table the service keeps current
    record = records.get(session.key_id)
    if record is None or record.revoked:
        return None
    return Caller(key_id=record.key_id, role=record.role, user_id=record.user_id)


def _signed_in(request: Request) -> tuple[PageSession, Scope]:
    session = _signer(request).read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequired
    caller = _caller(request, session)
    if caller is None or caller.role != session.role:
        raise LoginRequired
    return session, request.app.state.scopes.scope(caller)


def _message(
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


def _view(
    request: Request,
    title: str,
    template: str,
    build: Any,
) -> Response:
    """Sign-in check, a reader, the empty and unavailable states, the freshness banner."""
    try:
        session, scope = _signed_in(request)
    except LoginRequired:
        return _to_login(request)
    reader = MartReader(request.app.state.reader)
    try:
        reader.require()
        outcome = build(reader, session, scope)
        if isinstance(outcome, Response):
            return outcome
        built_at = reader.built_at()
    except MartsMissing:
        return _message(
            request,
            session,
            title,
            "No marts yet: this warehouse has not been built. Fill it with the daily run:",
            200,
            FILL_STEPS,
        )
    except MartsUnavailable as error:
        return _message(request, session, title, str(error), 503, FILL_STEPS)
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


# -- signing in and out ------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, _safe_next(next), None, 200)


def _login_page(request: Request, target: str, error: str | None, status_code: int) -> Response:
    nonce, token = _signer(request).login_token()
    context = {"title": "Sign in", "csrf_token": token, "next": target, "error": error}
    response = page(request, "login.html", context, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=3600,
        path="/pages/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


async def _form(request: Request) -> dict[str, str] | None:
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


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    if form is None:
        return _login_page(request, "/pages/", "Send the sign-in form.", 400)
    signer = _signer(request)
    target = _safe_next(form.get("next"))
    if not signer.login_token_matches(
        request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")
    ):
        return _login_page(request, target, "The form expired: sign in again.", 403)
    raw_key = form.get("api_key", "").strip()
    caller = request.app.state.keys.verify(raw_key) if raw_key else None
    if caller is None:
        client = request.client.host if request.client else "?"
        wait = _login_limiter(request).take(f"login:{client}")
        if wait > 0:
            response = _login_page(request, target, "Too many failed sign-ins: wait.", 429)
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        return _login_page(request, target, "That API key is unknown or revoked.", 401)
    session, cookie = signer.issue(caller.key_id, caller.role, caller.user_id)
    destination = target if target != "/pages/" else home_path(session)
    response = RedirectResponse(destination, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=math.floor(signer.lifetime_seconds),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/pages/login")
    response.headers.update(SECURITY_HEADERS)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request) or {}
    session = _signer(request).read(request.cookies.get(SESSION_COOKIE))
    if session is not None and not csrf_matches(session, form.get("csrf_token")):
        return _message(request, session, "Sign out", "The form expired: try again.", 403)
    if session is not None:
        _signer(request).end(session)
    response = RedirectResponse("/pages/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- the pages ---------------------------------------------------------------------------------


@router.get("/")
def index(request: Request) -> Response:
    try:
        session, _ = _signed_in(request)
    except LoginRequired:
        return _to_login(request)
    return RedirectResponse(home_path(session), status_code=303)


@router.get("/health")
def health(request: Request) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> dict[str, Any]:
        context = health_overview(reader, scope.owner_ids)
        context["charts"] = {
            "health": charts.bars(
                "Accounts by health band",
                context["accounts_by_health"],
                "health_status",
                "accounts",
                "accounts",
            ),
            "customer_churn": charts.bars(
                "Shop customers by churn band",
                context["customer_churn"] or [],
                "churn_risk_band",
                "customers",
                "customers",
            ),
        }
        return context

    return _view(request, "Customer Health Overview", "health.html", build)


@router.get("/cro")
def cro(request: Request) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        if not scope.everything:
            return _message(
                request,
                session,
                "CRO view",
                "The CRO view covers the whole company: it is open to the cro and admin roles.",
                403,
            )
        context = cro_view(reader)
        context["charts"] = {
            "trend": charts.lines(
                "Pipeline health index",
                context["trend"],
                "as_of_date",
                "segment",
                "pipeline_health_index",
                "index (0-100)",
            ),
            "win_rates": charts.grouped_bars(
                "Win rate by segment",
                context["win_rates"],
                "quarter_start_date",
                "segment",
                "win_rate",
                "win rate",
            ),
        }
        return context

    return _view(request, "CRO view", "cro.html", build)


@router.get("/manager")
def manager(request: Request, manager: str | None = None) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        chosen = manager or (session.user_id if session.role == "manager" else None)
        if session.role == "rep":
            return _message(
                request, session, "Manager view", "The manager view is for managers.", 403
            )
        if chosen is None:
            return page(
                request,
                "managers.html",
                {"title": "Managers", "managers": managers(reader, scope.owner_ids)},
                session=session,
            )
        if not USER_ID.match(chosen):
            return _message(request, session, "Manager view", "That is not a user id.", 400)
        if not scope.allows(chosen):
            return _message(
                request, session, "Manager view", "That team is outside your scope.", 403
            )
        context = manager_view(reader, chosen, scope.owner_ids)
        context["charts"] = {
            "rep_risk": charts.bars(
                "Average open-deal risk",
                context["reps"],
                "owner_name",
                "avg_risk_score",
                "risk (0-100)",
            )
        }
        context["title"] = f"Manager view: {context['manager_name']}"
        return context

    return _view(request, "Manager view", "manager.html", build)


@router.get("/reps/{rep_id}")
def rep(request: Request, rep_id: str) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        if not USER_ID.match(rep_id):
            return _message(request, session, "Rep view", "That is not a user id.", 400)
        if not scope.allows(rep_id):
            return _message(
                request, session, "Rep view", "That rep's book is outside your scope.", 403
            )
        context = rep_view(reader, rep_id)
        if not context["known"]:
            return _message(
                request, session, "Rep view", f"No leads or open deals for rep {rep_id}.", 404
            )
        context["charts"] = {
            "leads": charts.bars(
                "Open leads by priority",
                context["by_priority"],
                "lead_priority",
                "leads",
                "leads",
            )
        }
        context["title"] = f"Rep view: {context['rep_name']}"
        return context

    return _view(request, "Rep view", "rep.html", build)


@router.get("/alerts")
def alerts(
    request: Request,
    status: str | None = None,
    urgency: str | None = None,
    alert_type: str | None = None,
) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        filters = alert_filters(reader)
        chosen = {"status": status, "urgency": urgency, "alert_type": alert_type}
        for name, value in chosen.items():
            if value and value not in filters[name]:
                return _message(
                    request, session, "Alerts", f"Unknown {name.replace('_', ' ')}: {value}.", 400
                )
        picked = {name: value for name, value in chosen.items() if value}
        unowned = session.role == "manager"
        context = alerts_inbox(reader, scope.owner_ids, picked, include_unowned=unowned)
        return {**context, "filters": filters, "chosen": picked}

    return _view(request, "Alerts inbox", "alerts.html", build)


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: str) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        found = alert_detail(reader, alert_id) if len(alert_id) <= 64 else None
        if found is None:
            return _message(request, session, "Alert", "No alert with that id.", 404)
        assigned = found["assigned_to"]
        if not scope.allows_alert(found["owner_user_id"]) and not (
            assigned and scope.allows(assigned)
        ):
            return _message(request, session, "Alert", "That alert is outside your scope.", 403)
        return {
            "title": found["title"],
            "alert": found,
            "details": split_list(found["details"]),
            "factors": split_list(found["factors"]),
            "actions": split_list(found["suggested_actions"]),
        }

    return _view(request, "Alert", "alert.html", build)
