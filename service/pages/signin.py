"""Signing in and out of the pages.

``GET /pages/login`` shows the form; ``POST /pages/login`` checks the key with the service's
key store and sets a signed, HttpOnly, SameSite=Strict session cookie with an expiry. Forms
carry CSRF tokens: the sign-in form a signed token paired with a short-lived cookie, the
sign-out form the session's token.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.pages.guard import (
    login_limiter,
    message,
    read_form,
    safe_next,
    secure,
    session_signer,
)
from service.pages.render import SECURITY_HEADERS, home_path, page
from service.pages.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE, csrf_matches

router = APIRouter()


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next), None, 200)


def _login_page(request: Request, target: str, error: str | None, status_code: int) -> Response:
    nonce, token = session_signer(request).login_token()
    context = {"title": "Sign in", "csrf_token": token, "next": target, "error": error}
    response = page(request, "login.html", context, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=3600,
        path="/pages/login",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    if form is None:
        return _login_page(request, "/pages/", "Send the sign-in form.", 400)
    signer = session_signer(request)
    target = safe_next(form.get("next"))
    if not signer.login_token_matches(
        request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")
    ):
        return _login_page(request, target, "The form expired: sign in again.", 403)
    raw_key = form.get("api_key", "").strip()
    caller = request.app.state.keys.verify(raw_key) if raw_key else None
    if caller is None:
        client = request.client.host if request.client else "?"
        wait = login_limiter(request).take(f"login:{client}")
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
        secure=secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/pages/login")
    response.headers.update(SECURITY_HEADERS)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request) or {}
    session = session_signer(request).read(request.cookies.get(SESSION_COOKIE))
    if session is not None and not csrf_matches(session, form.get("csrf_token")):
        return message(request, session, "Sign out", "The form expired: try again.", 403)
    if session is not None:
        session_signer(request).end(session)
    response = RedirectResponse("/pages/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
