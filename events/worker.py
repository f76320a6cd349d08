"""The event worker: takes accepted events from the inbox (oldest first), runs each source's
handler (streaming features, the champion's score, timers, alert rules), checks the timers with
its clock, delivers the alerts through the notifier's delivery log, and only then marks the
events ``done``. A crash anywhere leaves them ``pending``: the restarted worker runs them
again, and the delivery log keeps every alert to one message."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from events import store as tables
from events.delivery import Deliverer
from events.handlers import HANDLERS, PREPARERS, Context, fire_timer
from events.inbox import InboxEvent, finish_events, utc_now
from events.service import EventsService
from notifier.config import NotifierError, SlackConfig
from notifier.messages import Alert

log = logging.getLogger("ciw.events.worker")

#: Events taken from the inbox per step.
BATCH_SIZE = 200
#: How long an idle worker waits for a wake-up before it looks at the inbox and timers again.
IDLE_SECONDS = 0.25


@dataclass
class StepResult:
    processed: int = 0
    failed: int = 0
    timers_fired: int = 0
    alerts: list[Alert] = field(default_factory=list)
    delivered: int = 0


class EventWorker:
    def __init__(
        self,
        service: EventsService,
        *,
        clock: Callable[[], datetime] = utc_now,
        slack: SlackConfig | None = None,
        features: bool = True,
        scoring: bool = True,
    ) -> None:
        from events.features import StreamFeatures
        from events.scoring import EntityScorer

        self.service = service
        self.clock = clock
        settings = service.settings
        stream = StreamFeatures(settings) if features or scoring else None
        scorer = EntityScorer(settings, stream.gateway) if scoring and stream else None
        self.context = Context(service.inbox, stream if features else None, scorer, clock)
        self.deliverer = Deliverer(settings, slack)
        with service.inbox.session() as session:
            session.lock("events:ddl")
            tables.ensure_worker_tables(session, indexes=settings.target == "postgres")

    def step(self) -> StepResult:
        """One pass: pending events (their writes in one commit, their features in one push
        per entity), due timers, delivery, then ``done`` for the events and timers."""
        result = StepResult()
        context = self.context
        handled: dict[tuple[str, str], tuple[InboxEvent, list[Alert]]] = {}
        failures: list[tuple[InboxEvent, str]] = []
        pending = self.service.inbox.pending(BATCH_SIZE)
        self._prepare(pending)
        for event in pending:
            try:
                handled[event.source, event.event_id] = (
                    event,
                    HANDLERS[event.source](context, event),
                )
            except Exception as error:
                log.warning("event %s/%s failed: %s", event.source, event.event_id, error)
                failures.append((event, f"{type(error).__name__}: {error}"[:500]))
        for outcome in context.score_wanted():
            key = (outcome.event.source, outcome.event.event_id)
            if outcome.error is not None:
                log.warning("event %s/%s failed: %s", *key, outcome.error)
                handled.pop(key, None)
                failures.append((outcome.event, outcome.error))
            elif key in handled:
                handled[key][1].extend(outcome.alerts)
        context.apply_writes()
        context.apply_pushes()
        now = self.clock()
        with context.read() as session:
            timers = tables.due_timers(session, now)
        fired = [(timer, fire_timer(context, timer)) for timer in timers]
        alerts = [a for _, found in handled.values() for a in found]
        alerts += [a for _, found in fired for a in found]
        if alerts:
            with self.service.inbox.session() as session:
                for event, found in handled.values():
                    for alert in found:
                        tables.record_alert(session, alert, event.source, event.event_id, now)
                for timer, found in fired:
                    for alert in found:
                        timer_key = str(timer["timer_key"])
                        tables.record_alert(session, alert, "timer", timer_key, now)
        report = self.deliverer.deliver(alerts, now)
        with self.service.inbox.session() as session:
            for timer, _ in fired:
                tables.fire_timer(session, str(timer["timer_key"]), now)
            finish_events(session, [event for event, _ in handled.values()], None)
            for event, problem in failures:
                finish_events(session, [event], problem)
        self.service.gauge.moved(-(len(handled) + len(failures)))
        result.processed = len(handled)
        result.failed = len(failures)
        result.timers_fired = len(fired)
        result.alerts = alerts
        result.delivered = report.deliveries
        return result

    def _prepare(self, events: list[InboxEvent]) -> None:
        """The step's look-ups, one query per source; a failure leaves them to each handler."""
        self.context.looked_up = {}
        by_source: dict[str, list[InboxEvent]] = {}
        for event in events:
            by_source.setdefault(event.source, []).append(event)
        for source, found in by_source.items():
            prepare = PREPARERS.get(source)
            if prepare is None:
                continue
            try:
                prepare(self.context, found)
            except Exception as error:
                log.warning("look-ups for %d %s events failed: %s", len(found), source, error)

    def close(self) -> None:
        self.deliverer.close()


class RunningWorker:
    """The worker on a thread of this process, woken by each accepted event."""

    def __init__(self, worker: EventWorker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ciw-events-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        wakeup = self.worker.service.wakeup
        while not self._stop.is_set():
            try:
                result = self.worker.step()
            except NotifierError as problem:  # Slack down: the events stay pending
                log.warning("delivery stopped: %s; retrying", problem)
                self._stop.wait(1.0)
                continue
            except Exception:
                log.exception("worker step failed; retrying")
                self._stop.wait(1.0)
                continue
            if result.processed or result.failed:
                continue
            wakeup.wait(IDLE_SECONDS)
            wakeup.clear()

    def stop(self) -> None:
        self._stop.set()
        self.worker.service.wakeup.set()
        self._thread.join(timeout=30)
        self.worker.close()


def start_worker(service: EventsService, **options: object) -> RunningWorker:
    return RunningWorker(EventWorker(service, **options))  # type: ignore[arg-type]
