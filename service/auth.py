"""Who is calling: API keys on every request, one rate limit per key.

A key comes in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; without one, or with
one the key store does not know (or has revoked), the answer is 401. Each key gets a token
bucket (``ServiceOptions.rate_per_second`` refilled, ``burst`` deep); an empty bucket answers
429 with ``Retry-After`` in whole seconds. Keys never reach a log line: the caller is named by
its key id only.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fastapi import HTTPException, Request

if TYPE_CHECKING:
    from service.keys import KeyStore

Role = Literal["rep", "manager", "cro", "admin"]
ROLES: tuple[Role, ...] = ("rep", "manager", "cro", "admin")
#: Roles that see every record (no owner filter).
LEADERSHIP: frozenset[str] = frozenset({"cro", "admin"})


@dataclass(frozen=True)
class Caller:
    """The holder of a verified key: ``user_id`` is their CRM user id (reps and managers)."""

    key_id: str
    role: Role
    user_id: str

    @property
    def sees_everything(self) -> bool:
        return self.role in LEADERSHIP


class RateLimiter:
    """A token bucket per key id: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until a token is free."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._buckets.get(key_id, (float(self.burst), moment))
            tokens = min(float(self.burst), tokens + (moment - stamp) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, moment)
                return 0.0
            self._buckets[key_id] = (tokens, moment)
            return (1.0 - tokens) / self.rate


def presented_key(request: Request) -> str | None:
    """The raw key from ``Authorization: Bearer`` or ``X-API-Key`` (None when absent)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    value = request.headers.get("x-api-key", "").strip()
    return value or None


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def require_caller(request: Request) -> Caller:
    """FastAPI dependency: the verified caller, after the rate limit; 401 / 429 otherwise."""
    raw = presented_key(request)
    if raw is None:
        raise unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    keys: KeyStore = request.app.state.keys
    caller = keys.verify(raw)
    if caller is None:
        raise unauthorized("the API key is unknown or revoked")
    limiter: RateLimiter = request.app.state.limiter
    wait = limiter.take(caller.key_id)
    if wait > 0:
        raise HTTPException(
            status_code=429,
            detail=f"rate limit of {limiter.rate:g} requests/s for this key exceeded",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    request.state.caller = caller
    return caller
