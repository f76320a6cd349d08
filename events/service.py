"""The events service object one app holds: the inbox, the replay guard, the queue gauge
(back-pressure) and, when it runs in this process, the worker."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from events.inbox import Inbox
from events.signing import ReplayGuard
from warehouse.settings import Settings, env_whole_number

#: Pending events at which the endpoint answers 429 (``CIW_EVENTS_QUEUE_MAX``).
DEFAULT_QUEUE_MAX = 20_000
#: What a 429 asks the caller to wait, in seconds.
RETRY_AFTER_SECONDS = 5
#: How long a database count of pending events is trusted (another process's worker drains it).
GAUGE_REFRESH_SECONDS = 0.5


def queue_max_from_env() -> int:
    return env_whole_number("CIW_EVENTS_QUEUE_MAX", DEFAULT_QUEUE_MAX, what="a whole number >= 1")


class QueueGauge:
    """Pending events: counted in the database now and then, plus this process's accepts and
    finishes since (cheap per request, right across processes within a refresh)."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._lock = threading.Lock()
        self._counted = inbox.pending_count()
        self._at = time.monotonic()
        self._delta = 0

    def depth(self) -> int:
        with self._lock:
            if time.monotonic() - self._at > GAUGE_REFRESH_SECONDS:
                self._counted = self._inbox.pending_count()
                self._at = time.monotonic()
                self._delta = 0
            return self._counted + self._delta

    def moved(self, change: int) -> None:
        with self._lock:
            self._delta += change


@dataclass
class EventsService:
    settings: Settings
    inbox: Inbox
    guard: ReplayGuard
    gauge: QueueGauge
    queue_max: int
    #: Set on each accept: wakes an in-process worker at once (it also polls the inbox).
    wakeup: threading.Event

    @classmethod
    def open(cls, settings: Settings, queue_max: int | None = None) -> EventsService:
        inbox = Inbox(settings)
        return cls(
            settings,
            inbox,
            ReplayGuard(),
            QueueGauge(inbox),
            queue_max if queue_max is not None else queue_max_from_env(),
            threading.Event(),
        )

    def close(self) -> None:
        self.inbox.close()

    def full(self) -> bool:
        return self.gauge.depth() >= self.queue_max
