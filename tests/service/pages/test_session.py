"""The pages' session cookie and CSRF tokens: signed, expiring, refused when forged or ended."""

from __future__ import annotations

import base64
import json

import pytest

from service.pages.session import (
    SessionConfigError,
    SessionSigner,
    csrf_matches,
)

SECRET = b"s" * 32


def _altered(text: str) -> str:
    """``text`` with its last character changed (never to itself)."""
    return text[:-1] + ("B" if text.endswith("A") else "A")


def test_a_session_cookie_round_trips_until_it_expires() -> None:
    signer = SessionSigner(SECRET, lifetime_seconds=60)
    session, cookie = signer.issue("k1", "rep", "USR0004", now=1_000.0)
    read = signer.read(cookie, now=1_030.0)
    assert read == session
    assert read.expires_at == 1_060.0
    assert signer.read(cookie, now=1_060.0) is None  # expired
    assert signer.read(cookie, now=2_000.0) is None


def test_a_forged_or_foreign_cookie_is_refused() -> None:
    signer = SessionSigner(SECRET, lifetime_seconds=60)
    _, cookie = signer.issue("k1", "rep", "USR0004", now=1_000.0)
    body, mac = cookie.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["r"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert signer.read(f"{forged}.{mac}", now=1_001.0) is None
    assert signer.read(f"{body}.{_altered(mac)}", now=1_001.0) is None
    assert SessionSigner(b"t" * 32, 60).read(cookie, now=1_001.0) is None  # another secret
    for junk in ("", "abc", "a.b.c", "x" * 5000, "%%%.%%%"):
        assert signer.read(junk, now=1_001.0) is None


def test_a_signed_cookie_with_an_unknown_role_is_refused() -> None:
    signer = SessionSigner(SECRET, lifetime_seconds=60)
    _, cookie = signer.issue("k1", "owner", "USR1", now=1_000.0)
    assert signer.read(cookie, now=1_001.0) is None


def test_an_ended_session_stays_ended() -> None:
    signer = SessionSigner(SECRET, lifetime_seconds=60)
    session, cookie = signer.issue("k1", "manager", "USR0002")
    other, other_cookie = signer.issue("k1", "manager", "USR0002")
    signer.end(session)
    assert signer.read(cookie) is None
    assert signer.read(other_cookie) == other


def test_csrf_tokens() -> None:
    signer = SessionSigner(SECRET, lifetime_seconds=60)
    session, _ = signer.issue("k1", "cro", "CRO1")
    assert csrf_matches(session, session.csrf_token)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, _altered(session.csrf_token))
    nonce, field = signer.login_token()
    assert signer.login_token_matches(nonce, field)
    assert not signer.login_token_matches(nonce, _altered(field))
    assert not signer.login_token_matches(None, field)
    assert not signer.login_token_matches(signer.login_token()[0], field)


def test_session_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_SESSION_SECRET", "short")
    with pytest.raises(SessionConfigError, match="at least 32"):
        SessionSigner.from_env()
    monkeypatch.setenv("CIW_SESSION_SECRET", "x" * 40)
    monkeypatch.setenv("CIW_SESSION_HOURS", "2")
    signer = SessionSigner.from_env()
    assert signer.lifetime_seconds == 7200
    _, cookie = signer.issue("k", "rep", "U")
    assert SessionSigner.from_env().read(cookie) is not None  # same secret, another process
    monkeypatch.setenv("CIW_SESSION_HOURS", "forever")
    with pytest.raises(SessionConfigError, match="hours"):
        SessionSigner.from_env()
