"""Slack's retry rules in one place: wait for ``Retry-After`` on 429, back off on 5xx and
timeouts, and keep to about one message per second per channel.

Kept apart from the transports so the policy reads on one screen; the transports decide what a
result means (``classify``) and how to check whether a timed-out call succeeded (``recover``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.error import URLError

from notifier.config import SlackConfig, SlackDown

T = TypeVar("T")


class SlackUnavailable(SlackDown):
    """Slack kept failing (429, 5xx or timeouts) after every attempt."""


def _is_timeout(error: BaseException) -> bool:
    return isinstance(error, TimeoutError | ConnectionError) or (
        isinstance(error, URLError) and not hasattr(error, "code")
    )


class Retrying:
    """Runs a call with Slack's retry rules and paces messages per channel."""

    def __init__(self, config: SlackConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        self._last_post: dict[str, float] = {}
        self.waits: list[float] = []  # seconds waited for 429s and backoffs, for the report

    def pace(self, channel: str) -> None:
        """Keep to about one message per second per channel."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.config.min_interval_seconds - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_post[channel] = time.monotonic()

    def backoff(self, attempt: int) -> float:
        return float(self.config.backoff_seconds * 2 ** (attempt - 1))

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)

    def call(
        self,
        what: str,
        function: Callable[[], T],
        classify: Callable[[T], tuple[str, float] | None],
        recover: Callable[[], T | None] | None = None,
    ) -> T:
        """``function()`` until it succeeds. ``classify(result)`` returns ("retry", seconds) to
        wait and try again, or None when the result is final; exceptions from ``function`` are
        final except timeouts. After a timeout ``recover()`` may find that the call had
        succeeded after all."""
        last_problem = ""
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                result = function()
            except Exception as error:
                if not _is_timeout(error):
                    raise
                reason = getattr(error, "reason", None) or error
                last_problem = f"no answer ({type(error).__name__}: {reason})"
                self.wait(self.backoff(attempt))
                if recover is not None:
                    found = recover()
                    if found is not None:
                        return found
                continue
            verdict = classify(result)
            if verdict is None:
                return result
            last_problem, seconds = verdict[0], verdict[1]
            self.wait(seconds)
        raise SlackUnavailable(
            f"Slack {what} failed after {self.config.max_attempts} attempts: {last_problem}"
        )


def retry_after(headers: dict[str, Any]) -> float:
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and str(value).strip().isdigit():
            return float(str(value).strip())
    return 1.0
