"""What an answer from Slack means for the call that got it: ``done``, ``retry`` or ``unsure``.

``retry``: Slack certainly did not act on the call (429, or a request that never fully left),
so repeating it is safe. ``unsure``: Slack may have acted on it - a 5xx (Slack's or a proxy's,
often with an HTML body), a connection reset or closed before the answer, a read timeout, an
answer that does not parse, or Slack's own "it is possible some of it succeeded" errors.
``done``: final, a success or a refusal that retrying will not cure. ``notifier.retrying``
acts on the verdicts.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.error import URLError

VerdictKind = Literal["done", "retry", "unsure"]

#: The ``error`` slack-sdk's WebClient puts in place of a body that is not JSON (it then
#: raises SlackApiError with that error and the real status code, e.g. 200).
NON_JSON_ERROR_PREFIX = "Received a response in a non-JSON format"
#: Web API errors after which, in Slack's words, "some aspect of the operation" may have
#: succeeded.
UNSURE_API_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})
#: An incoming webhook answers exactly this when it posted the message.
WEBHOOK_OK_BODY = "ok"


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    problem: str = ""
    #: Seconds to wait before the next attempt; None means the exponential backoff.
    wait: float | None = None


DONE = Verdict("done")


def error_verdict(error: BaseException) -> Verdict | None:
    """What an exception from an HTTP call means; None for errors that are not about the
    exchange with Slack (e.g. a bug), which propagate.

    urllib wraps errors while connecting and sending in ``URLError``: the request never fully
    left, so Slack did not act on it. Errors while waiting for or reading the answer come raw
    (``TimeoutError``, ``ConnectionResetError``/``RemoteDisconnected``, ``IncompleteRead``):
    Slack may have acted on the request.
    """
    if isinstance(error, URLError) and not hasattr(error, "code"):
        reason = error.reason
        return Verdict("retry", f"not sent ({type(reason).__name__}: {reason})")
    if isinstance(error, TimeoutError | ConnectionError | http.client.HTTPException):
        return Verdict("unsure", f"answer lost ({type(error).__name__})")
    return None


def api_verdict(method: str, status: int, data: Any, headers: Mapping[str, Any]) -> Verdict:
    """A Web API answer: ``data`` is slack-sdk's parsed body (a dict)."""
    if status == 429:
        return Verdict("retry", f"rate limited (429) on {method}", retry_after(headers))
    if status >= 500:
        return Verdict("unsure", f"HTTP {status} on {method}")
    error = str(data.get("error") or "") if isinstance(data, dict) else NON_JSON_ERROR_PREFIX
    if error.startswith(NON_JSON_ERROR_PREFIX) and status < 400:  # a 4xx page is a refusal
        return Verdict("unsure", f"unparsable answer (HTTP {status}) on {method}")
    if error in UNSURE_API_ERRORS:
        return Verdict("unsure", f"{error} on {method}")
    return DONE


def webhook_verdict(status: int, body: str | None, headers: Mapping[str, Any]) -> Verdict:
    """An incoming webhook's answer: 200 ``ok`` when posted, 4xx with a reason when refused."""
    if status == 429:
        return Verdict("retry", "rate limited (429) on the webhook", retry_after(headers))
    if status >= 500:
        return Verdict("unsure", f"HTTP {status} on the webhook")
    if status == 200 and str(body or "").strip() != WEBHOOK_OK_BODY:
        return Verdict("unsure", "unparsable answer (HTTP 200) on the webhook")
    return DONE


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a ``Retry-After`` header (1 when absent or not a whole number)."""
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and str(value).strip().isdigit():
            return float(str(value).strip())
    return 1.0
