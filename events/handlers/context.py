"""What the handlers of one worker step share: reads, the writes and feature pushes they
collect (applied once per step), and the entities they want scored (scored once per step, one
frame per model, then each entity's alert rule runs on its score)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events import store as tables
from events.features import StreamFeatures
from events.inbox import Inbox, InboxEvent
from events.scoring import EntityScorer
from notifier.messages import Alert
from warehouse.adapters import Session

Write = Callable[[Session], None]
#: What an entity's rule does with its prediction row (None: no champion, or no batch features).
Rule = Callable[["Context", InboxEvent, "dict[str, Any] | None"], list[Alert]]


@dataclass
class Wanted:
    """One entity to score in this step, with what its events changed and the rule to run."""

    model_name: str
    entity_id: str
    changes: dict[str, Any]
    event: InboxEvent
    rule: Rule


@dataclass
class ScoreOutcome:
    """The alerts (or the error) of the event whose entity was scored."""

    event: InboxEvent
    alerts: list[Alert]
    error: str | None = None


@dataclass
class Context:
    """Shared by the handlers of one worker step. Writes and pushes are applied once per step
    (one commit, one push per entity); scores once per step (one frame per model)."""

    inbox: Inbox
    features: StreamFeatures | None
    scorer: EntityScorer | None
    clock: Callable[[], datetime]
    writes: list[Write] = field(default_factory=list)
    pushes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    wanted: dict[tuple[str, str], Wanted] = field(default_factory=dict)
    #: Look-ups done once for a step's events of one source (``PREPARERS``), by (what, key).
    looked_up: dict[tuple[str, str], Any] = field(default_factory=dict)

    def read(self) -> Any:
        return self.inbox.reader()

    def write(self, change: Write) -> None:
        self.writes.append(change)

    def cancel_timers(self, kind: str, entity_id: str) -> None:
        """Cancel the entity's waiting ``kind`` timers, in order with the step's other writes
        (back-to-back cancellations of one kind go in one statement)."""
        last = self.writes[-1] if self.writes else None
        if isinstance(last, _Cancel) and last.kind == kind:
            last.entity_ids.add(entity_id)
        else:
            self.writes.append(_Cancel(kind, {entity_id}, self.clock()))

    def push(self, entity: str, entity_id: str, values: dict[str, Any]) -> None:
        """Streamed features for the step's push (a later event of the entity wins)."""
        self.pushes.setdefault((entity, entity_id), {}).update(values)

    def want_score(
        self,
        model_name: str,
        entity_id: str,
        changes: dict[str, Any],
        event: InboxEvent,
        rule: Rule,
    ) -> None:
        """Score ``entity_id`` with ``model_name``'s champion at the end of the step; the
        entity's later events add their changes and take over the rule (one score, one rule
        run per entity and step: the latest state is what the alert describes)."""
        key = (model_name, entity_id)
        earlier = self.wanted.get(key)
        merged = {**(earlier.changes if earlier else {}), **changes}
        self.wanted[key] = Wanted(model_name, entity_id, merged, event, rule)

    def score_wanted(self) -> list[ScoreOutcome]:
        """Score every wanted entity (one call per model) and run each one's rule. A failure
        scoring a model fails the events of that model's entities (retried later), not the
        step."""
        wanted, self.wanted = self.wanted, {}
        by_model: dict[str, list[Wanted]] = {}
        for item in wanted.values():
            by_model.setdefault(item.model_name, []).append(item)
        outcomes: list[ScoreOutcome] = []
        now = self.clock()
        for model_name, items in by_model.items():
            try:
                rows = (
                    self.scorer.score_many(
                        model_name, {item.entity_id: item.changes for item in items}, now
                    )
                    if self.scorer is not None
                    else {}
                )
            except Exception as error:
                problem = f"scoring {model_name}: {type(error).__name__}: {error}"[:500]
                outcomes += [ScoreOutcome(item.event, [], problem) for item in items]
                continue
            for item in items:
                row = rows.get(item.entity_id)
                if row is not None:
                    self.write(_score_write(item.event, row, now))
                try:
                    outcomes.append(ScoreOutcome(item.event, item.rule(self, item.event, row)))
                except Exception as error:
                    outcomes.append(
                        ScoreOutcome(item.event, [], f"{type(error).__name__}: {error}"[:500])
                    )
        return outcomes

    def apply_writes(self) -> None:
        if self.writes:
            with self.inbox.session() as session:
                for change in self.writes:
                    change(session)
        self.writes = []

    def apply_pushes(self) -> int:
        pushed = 0
        if self.features is not None and self.pushes:
            pushed = self.features.push_many(self.pushes, self.clock())
        self.pushes = {}
        return pushed


@dataclass
class _Cancel:
    kind: str
    entity_ids: set[str]
    now: datetime

    def __call__(self, session: Session) -> None:
        tables.cancel_timers(session, self.kind, self.entity_ids, self.now)


def _score_write(event: InboxEvent, row: dict[str, Any], now: datetime) -> Write:
    def write(session: Session) -> None:
        tables.record_score(session, event.source, event.event_id, row, now)

    return write


def first(session: Session, sql: str, params: tuple[Any, ...]) -> Any:
    """The first column of the first row, or None."""
    rows = session.execute(sql, params)
    return rows[0][0] if rows else None


def batch_value(session: Session, mart: str, column: str, key_column: str, key: str) -> Any:
    """The batch's latest ``column`` for one entity in a scored mart (None when the mart or
    the entity's row is absent: the batch has not scored it)."""
    if not session.table_exists(mart):
        return None
    return first(session, f"select {column} from {mart} where {key_column} = %s", (key,))


def stamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
