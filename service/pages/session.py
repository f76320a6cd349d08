"""The pages' browser session: a signed, expiring cookie and the CSRF tokens of their forms.

The cookie holds the caller (key id, role, CRM user id), an expiry and a CSRF token, as
base64url JSON followed by an HMAC-SHA256 signature. The raw API key never leaves the login
request. Signing out ends the session in this process (its cookie is refused afterwards). The
signing secret comes from ``CIW_SESSION_SECRET`` (at least 32 characters); without it each
process draws a random one, so sessions end when the service restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass

SESSION_COOKIE = "ciw_session"
LOGIN_CSRF_COOKIE = "ciw_login_csrf"
SECRET_ENV = "CIW_SESSION_SECRET"
HOURS_ENV = "CIW_SESSION_HOURS"
DEFAULT_HOURS = 8.0
MIN_SECRET_CHARS = 32
ROLES = frozenset({"rep", "manager", "cro", "admin"})


class SessionConfigError(ValueError):
    """A session setting in the environment cannot be used."""


@dataclass(frozen=True)
class PageSession:
    """Who is signed in, until when, and the token their forms must carry."""

    key_id: str
    role: str
    user_id: str | None
    expires_at: float
    csrf_token: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session cookies and login CSRF tokens with one secret."""

    def __init__(self, secret: bytes, lifetime_seconds: float) -> None:
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds
        #: Sessions signed out before their expiry (by CSRF token, which is unique to each),
        #: until they would have expired anyway.
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> SessionSigner:
        text = os.environ.get(SECRET_ENV, "")
        if text and len(text) < MIN_SECRET_CHARS:
            raise SessionConfigError(f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters")
        secret = text.encode("utf-8") if text else secrets.token_bytes(32)
        hours_text = os.environ.get(HOURS_ENV, "").strip()
        try:
            hours = float(hours_text) if hours_text else DEFAULT_HOURS
        except ValueError:
            hours = -1.0
        if not 0 < hours <= 24 * 30:
            raise SessionConfigError(f"{HOURS_ENV} must be a number of hours (0-720)")
        return cls(secret, hours * 3600)

    def _mac(self, purpose: str, body: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
        return _b64(digest)

    def issue(
        self, key_id: str, role: str, user_id: str | None, *, now: float | None = None
    ) -> tuple[PageSession, str]:
        """A new session and its cookie value."""
        session = PageSession(
            key_id=key_id,
            role=role,
            user_id=user_id,
            expires_at=(time.time() if now is None else now) + self.lifetime_seconds,
            csrf_token=secrets.token_urlsafe(24),
        )
        payload = {
            "k": session.key_id,
            "r": session.role,
            "u": session.user_id,
            "e": session.expires_at,
            "c": session.csrf_token,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return session, f"{body}.{self._mac('session', body)}"

    def read(self, cookie: str | None, *, now: float | None = None) -> PageSession | None:
        """The session a cookie carries; None when absent, forged, malformed or expired."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 4096:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac("session", body)):
            return None
        try:
            payload = json.loads(_unb64(body))
            session = PageSession(
                key_id=str(payload["k"]),
                role=str(payload["r"]),
                user_id=None if payload["u"] is None else str(payload["u"]),
                expires_at=float(payload["e"]),
                csrf_token=str(payload["c"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.role not in ROLES or session.csrf_token in self._ended:
            return None
        if session.expires_at <= (time.time() if now is None else now):
            return None
        return session

    def end(self, session: PageSession) -> None:
        """Sign ``session`` out: its cookie is refused from now on, even if a copy survives."""
        now = time.time()
        with self._lock:
            self._ended = {token: until for token, until in self._ended.items() if until > now}
            self._ended[session.csrf_token] = session.expires_at

    def login_token(self) -> tuple[str, str]:
        """A login form's CSRF pair: (cookie value, form field value)."""
        nonce = secrets.token_urlsafe(24)
        return nonce, self._mac("login", nonce)

    def login_token_matches(self, cookie: str | None, field: str | None) -> bool:
        if not cookie or not field:
            return False
        return hmac.compare_digest(field, self._mac("login", cookie))


def csrf_matches(session: PageSession, field: str | None) -> bool:
    """Whether a form posted within ``session`` carries its token."""
    return bool(field) and hmac.compare_digest(session.csrf_token, field or "")
