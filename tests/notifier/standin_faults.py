"""What the Slack stand-in answers: scripted ``Action``s and a seeded random ``Faults`` mode.

An action says whether Slack acts on the call (posts the message) and how the answer reaches
the client: as JSON, as a proxy's HTML page, cut short, reset, or only after the client's
timeout. The helpers name the cases in which Slack acted but the client cannot know it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Literal

Reply = Literal["json", "html", "truncated", "reset"]

#: A proxy's error page, as nginx or a load balancer sends it in front of Slack.
HTML_PAGE = "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"


@dataclass
class Action:
    """One scripted answer: an HTTP status with headers, and/or a delay before answering.

    By default only a 200 is acted on; ``accept=True`` acts on the call whatever the answer.
    ``reply`` is how the answer travels: Slack's JSON, an HTML page, a JSON body cut short
    (fewer bytes than its Content-Length), or a connection reset instead of any answer.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    post: bool = True  # for a delayed chat.postMessage: whether Slack still posts the message
    accept: bool = False
    reply: Reply = "json"

    @property
    def acts(self) -> bool:
        return self.accept or (self.status == 200 and self.reply != "reset")

    @property
    def name(self) -> str:
        """A short label for the calls log and the test's figures."""
        if self.delay:
            return "slow+posted" if self.post else "slow"
        if self.reply == "reset":
            return "accepted+reset" if self.accept else "reset"
        prefix = "accepted+" if self.accept else ""
        return f"{prefix}{self.status}" + ("" if self.reply == "json" else f"+{self.reply}")


def lost_reply(status: int = 500, html: bool = False) -> Action:
    """Slack posts the message, then the answer is a 5xx (a proxy's HTML page when ``html``)."""
    return Action(status=status, accept=True, reply="html" if html else "json")


def lost_by_reset() -> Action:
    """Slack posts the message, then the connection is reset before any answer."""
    return Action(accept=True, reply="reset")


def lost_in_garbage(truncated: bool = False) -> Action:
    """Slack posts the message, then a 200 arrives that does not parse: an HTML page, or a
    JSON body cut short."""
    return Action(accept=True, reply="truncated" if truncated else "html")


@dataclass
class Faults:
    """Random answers on a share of the calls, reproducible by ``seed``.

    ``lost``: the call is acted on and its answer lost (a 500/502/503/504, some as HTML, a
    reset, an HTML or truncated 200); ``rate_limited``: 429 with Retry-After; ``errors``: a
    500 without acting; ``slow``: an answer after ``delay`` seconds (past the client's
    timeout), acted on or not. Scripted actions go first.
    """

    seed: int
    lost: float = 0.1
    rate_limited: float = 0.05
    errors: float = 0.05
    slow: float = 0.05
    delay: float = 1.0
    retry_after: str = "1"
    drawn: list[str] = field(default_factory=list)
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self) -> Action:
        with self._lock:
            action = self._draw()
            self.drawn.append(action.name)
            return action

    def _draw(self) -> Action:
        roll = self._random.random()
        if roll < self.lost:
            return self._random.choice(
                [
                    lost_reply(500),
                    lost_reply(502, html=True),
                    lost_reply(503, html=True),
                    lost_reply(504, html=True),
                    lost_by_reset(),
                    lost_in_garbage(),
                    lost_in_garbage(truncated=True),
                ]
            )
        roll -= self.lost
        if roll < self.rate_limited:
            return Action(status=429, headers={"Retry-After": self.retry_after})
        roll -= self.rate_limited
        if roll < self.errors:
            return Action(status=500)
        roll -= self.errors
        if roll < self.slow:
            return Action(delay=self.delay, post=self._random.random() < 0.5)
        return Action()
