"""Slack request signatures (v0): HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the app's
signing secret, compared in constant time, within a 5-minute window, and each signature
accepted once (a replay inside the window is refused too)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict

SIGNING_SECRET_ENV = "SLACK_SIGNING_SECRET"
VERSION = "v0"
#: Slack's advice: refuse requests whose timestamp is more than five minutes away.
REPLAY_WINDOW_SECONDS = 300
#: Signatures remembered to refuse replays (those older than the window fall out anyway).
REMEMBERED_SIGNATURES = 100_000


class SignatureRejected(ValueError):
    """The request is not provably from Slack, or is stale or replayed: answer 401."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class ReplayGuard:
    """Signatures seen within the window; thread-safe (the service answers on many threads)."""

    def __init__(self, limit: int = REMEMBERED_SIGNATURES) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def first_time(self, signature: str, now: float) -> bool:
        with self._lock:
            while self._seen and (
                len(self._seen) >= self._limit
                or next(iter(self._seen.values())) < now - 2 * REPLAY_WINDOW_SECONDS
            ):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    guard: ReplayGuard,
    now: float | None = None,
) -> None:
    """Raise ``SignatureRejected`` unless ``signature`` is Slack's for this body and time."""
    if not timestamp or not signature:
        raise SignatureRejected("missing X-Slack-Request-Timestamp or X-Slack-Signature")
    if not timestamp.strip().isdigit():
        raise SignatureRejected("X-Slack-Request-Timestamp is not a whole number of seconds")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        raise SignatureRejected("request timestamp outside the 5-minute window")
    expected = sign(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureRejected("signature does not match")
    if not guard.first_time(expected, now):
        raise SignatureRejected("request already received (replay)")
