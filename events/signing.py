"""Event signatures: the scheme of Slack's requests (``notifier.signing``: HMAC-SHA256 of
``v0:{timestamp}:{body}``, 5-minute window, each signature once) with a secret per source
from ``CIW_EVENTS_SECRET_<SOURCE>`` and the headers ``X-CIW-Timestamp`` / ``X-CIW-Signature``."""

from __future__ import annotations

from notifier.signing import ReplayGuard, SignatureRejected, sign, verify

TIMESTAMP_HEADER = "X-CIW-Timestamp"
SIGNATURE_HEADER = "X-CIW-Signature"

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ReplayGuard",
    "SignatureRejected",
    "check_signature",
    "sign",
]


def check_signature(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    guard: ReplayGuard,
    now: float | None = None,
) -> None:
    """Raise ``SignatureRejected`` unless the body is signed with ``secret`` just now."""
    if not timestamp or not signature:
        raise SignatureRejected(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        verify(secret, timestamp, signature, body, guard, now)
    except SignatureRejected as rejected:
        raise SignatureRejected(
            str(rejected).replace("X-Slack-Request-Timestamp", TIMESTAMP_HEADER)
        ) from None
