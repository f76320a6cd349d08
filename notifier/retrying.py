"""Slack's retry rules in one place: wait for ``Retry-After`` on 429, back off on 5xx and lost
answers, settle every answer that leaves it open whether a message was posted, and keep to
about one message per second per channel.

Each outcome gets a ``Verdict`` (``notifier.answers``): ``done`` ends the call, ``retry``
(Slack certainly did not act) repeats it, and before an ``unsure`` one (Slack may have acted)
is repeated the caller's ``Unsure`` policy decides: read calls repeat, the bot transport looks
the message up in ``conversations.history`` (twice: the history can lag), a webhook under
``SLACK_WEBHOOK_AMBIGUOUS=skip`` stops with ``OutcomeUnknown``.

Kept apart from the transports, which decide what an answer means (``classify``) and how to
find a message again (``settle``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar

from notifier.answers import Verdict, error_verdict
from notifier.config import SlackConfig, SlackDown

T = TypeVar("T")

#: What an unsure outcome leads to: ``repeat`` (reads; webhooks at least once), ``settle``
#: (look the message up before repeating), ``stop`` (webhooks at most once).
Unsure = Literal["repeat", "settle", "stop"]

__all__ = ["OutcomeUnknown", "Retrying", "SlackUnavailable", "SlackUnsettled", "Unsure"]


class SlackUnavailable(SlackDown):
    """Slack kept failing (429, 5xx or timeouts) after every attempt; nothing was posted."""


class SlackUnsettled(SlackDown):
    """A call may have posted and the look-up could not tell: the claim must stay ``sending``
    for the next run's reconciliation (releasing it could post the message twice)."""


class OutcomeUnknown(RuntimeError):
    """A webhook call may or may not have posted, and webhooks cannot be read back."""


def _label(what: str) -> str:
    """How an error names the call: 'Slack chat.postMessage', 'teams', 'email'."""
    return what if what in ("teams", "email") else f"Slack {what}"


class Retrying:
    """Runs a call with Slack's retry rules and paces messages per channel."""

    def __init__(self, config: SlackConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        self._last_post: dict[str, float] = {}
        self.waits: list[float] = []  # seconds waited for 429s and backoffs, for the report
        #: By call: answers after which the call may or may not have happened ...
        self.unsure_outcomes: Counter[str] = Counter()
        #: ... and those repeated without a look-up (for a webhook: at least once).
        self.repeated_unsure: Counter[str] = Counter()
        self.lookups = 0  # conversations.history look-ups made to settle them

    def pace(self, channel: str) -> None:
        """Keep to about one message per second per channel: wait until the interval has
        passed since the last post to ``channel`` ended (``posted``)."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.config.min_interval_seconds - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_post[channel] = time.monotonic()

    @contextmanager
    def paced(self, channel: str) -> Iterator[None]:
        """``pace`` before a post, and the clock restarted once its answer is in: the server
        took the message before answering, so its side sees at least the interval too."""
        self.pace(channel)
        try:
            yield
        finally:
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
        classify: Callable[[T], Verdict],
        unsure: Unsure = "repeat",
        settle: Callable[[], T | None] | None = None,
    ) -> T:
        """``function()`` until its verdict is ``done``; see the module docstring. ``settle()``
        (for ``unsure="settle"``) returns what the call had produced, or None when it did
        not happen."""
        last_problem = ""
        unsettled = False
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                result = function()
            except Exception as error:
                found = error_verdict(error)
                if found is None:
                    raise
                verdict = found
            else:
                verdict = classify(result)
                if verdict.kind == "done":
                    return result
            last_problem = verdict.problem
            if verdict.kind == "unsure":
                self.unsure_outcomes[what] += 1
                if unsure == "stop":
                    raise OutcomeUnknown(f"{_label(what)}: {last_problem}")
            repeat_as_is = verdict.kind == "retry" or unsure == "repeat"
            if repeat_as_is and attempt == self.config.max_attempts:
                break  # no attempt left to wait for
            self.wait(self.backoff(attempt) if verdict.wait is None else verdict.wait)
            if repeat_as_is:
                if verdict.kind == "unsure":
                    self.repeated_unsure[what] += 1
                continue
            if settle is None:
                raise ValueError("unsure='settle' needs a settle function")
            posted = self._look_twice(what, last_problem, settle)
            if posted is not None:
                return posted
            # Not found (twice), so repeating is safe now; but giving up must not release the
            # claim: a message the history shows late would then be sent twice.
            unsettled = True
        failure = f"{_label(what)} failed after {self.config.max_attempts} attempts: {last_problem}"
        if unsettled:
            raise SlackUnsettled(f"{failure} (an earlier answer was lost and not found)")
        raise SlackUnavailable(failure)

    def _look_twice(self, what: str, problem: str, settle: Callable[[], T | None]) -> T | None:
        """The look-up after an unsure outcome, repeated once after ``history_lag_seconds``;
        a failing look-up raises ``SlackUnsettled``."""
        for look in (1, 2):
            if look == 2:
                self.wait(self.config.history_lag_seconds)
            self.lookups += 1
            try:
                posted = settle()
            except SlackDown as lookup_failed:
                raise SlackUnsettled(
                    f"{_label(what)}: {problem}, and the look-up failed ({lookup_failed})"
                ) from None
            if posted is not None:
                return posted
        return None
