"""The diff: which field values and tasks to send, from the marts and the writeback log.

Pure functions over rows, so every rule is testable without a warehouse or a CRM:

* a field is sent when its value differs from the last value the CRM confirmed (``written``);
* a write left ``failed`` (the CRM refused the record) or ``pending`` (claimed by a run that
  stopped or crashed; older than ``stale_after``) is sent again while the marts still want
  that value - up to ``max_record_attempts`` times - and ``superseded`` once they want
  another (or no longer score the record);
* records scored as of a date older than ``max_score_age`` (a backfill, ``ciw run --as-of``)
  are left alone: the CRM never gets an old score back;
* a task is raised when a record's trigger field changes into its task levels (a lead becomes
  Critical, an account High or Critical); its key (record and as-of date) is claimed once, and
  it is sent again only while the log has no ``written`` row for it.

Values are kept as JSON text, so the log shows exactly what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from crm.config import SalesforceConfig
from crm.desired import TASK, TASK_TRIGGERS, Desired, task_fields, task_key


@dataclass(frozen=True)
class Policy:
    """When a claim is stale, when a refused record is given up, how old a score may be."""

    #: A ``pending`` claim younger than this may belong to a run still sending: left alone.
    stale_after: timedelta = timedelta(minutes=10)
    #: A value refused this many times is not sent again until the marts change it.
    max_record_attempts: int = 10
    #: Records scored as of an older date are not written (a backfill must not reach the CRM).
    max_score_age: timedelta = timedelta(days=7)


DEFAULT_POLICY = Policy()
#: The log's ``field`` for a task: the whole Task record is one write.
TASK_FIELD = "*"
OPEN_STATUSES = ("pending", "failed")


def encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class Value:
    """One value of one field of one record (a task: its fields, as one value)."""

    sobject: str
    record_key: str
    field: str
    generation: int
    old_value: str | None
    new_value: str

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.sobject, self.record_key, self.field, self.generation)


@dataclass(frozen=True)
class LogRow(Value):
    """One row of ``ops.crm_writeback``."""

    status: str
    attempt: int
    claimed_at: datetime
    as_of_date: date | None = None
    error: str | None = None
    crm_id: str | None = None


@dataclass(frozen=True)
class Write(Value):
    """A value this run claims and sends: new (``attempt`` 1) or sent again."""

    attempt: int
    as_of_date: date | None

    @property
    def is_retry(self) -> bool:
        return self.attempt > 1


@dataclass
class Plan:
    writes: list[Write] = field(default_factory=list)
    #: Open rows (pending or failed) whose value the marts no longer want, with the reason.
    superseded: list[tuple[LogRow, str]] = field(default_factory=list)
    unchanged: int = 0  # fields whose value the CRM already holds
    in_flight: int = 0  # writes another run claimed moments ago: left to it
    given_up: int = 0  # values refused ``max_record_attempts`` times: not sent again
    too_old: int = 0  # records scored as of a date older than ``max_score_age``
    missing_marts: list[str] = field(default_factory=list)

    def records(self, sobject: str) -> dict[str, list[Write]]:
        """This plan's writes of one object, by record, in order."""
        grouped: dict[str, list[Write]] = {}
        for write in self.writes:
            if write.sobject == sobject:
                grouped.setdefault(write.record_key, []).append(write)
        return grouped


@dataclass
class _FieldState:
    written: LogRow | None = None  # the newest value the CRM confirmed
    open: LogRow | None = None  # the newest row, when it is pending or failed
    generation: int = 0


def _states(log: Iterable[LogRow]) -> dict[tuple[str, str, str], _FieldState]:
    states: dict[tuple[str, str, str], _FieldState] = {}
    for row in sorted(log, key=lambda row: row.generation):
        state = states.setdefault((row.sobject, row.record_key, row.field), _FieldState())
        state.generation = row.generation
        state.open = row if row.status in OPEN_STATUSES else None
        if row.status == "written":
            state.written = row
    return states


def _resend(row: LogRow) -> Write:
    return Write(
        row.sobject,
        row.record_key,
        row.field,
        row.generation,
        row.old_value,
        row.new_value,
        row.attempt + 1,
        row.as_of_date,
    )


def plan_writes(
    desired: Sequence[Desired],
    log: Iterable[LogRow],
    config: SalesforceConfig,
    *,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> Plan:
    """What to claim and send now; see the module docstring for the rules."""
    states = _states(log)
    plan = Plan()
    visited: set[tuple[str, str, str]] = set()
    oldest = (now - policy.max_score_age).date()

    def in_flight(row: LogRow) -> bool:
        return row.status == "pending" and now - row.claimed_at < policy.stale_after

    for record in desired:
        keys = [(record.sobject, record.record_key, name) for name in record.values]
        visited.update(keys)
        if record.as_of_date < oldest:
            plan.too_old += 1
            continue
        for key, value in zip(keys, record.values.values(), strict=True):
            if value is None:
                continue  # never clear a CRM field the marts have no value for
            name = key[2]
            state = states.get(key, _FieldState())
            new = encode(value)
            if state.open is not None:
                if in_flight(state.open):
                    plan.in_flight += 1
                    continue
                if state.open.new_value == new:
                    if state.open.attempt >= policy.max_record_attempts:
                        plan.given_up += 1
                    else:
                        plan.writes.append(_resend(state.open))
                    continue
                plan.superseded.append((state.open, f"replaced by {new}"))
            last = state.written.new_value if state.written else None
            if new == last:
                plan.unchanged += 1
                continue
            plan.writes.append(Write(*key, state.generation + 1, last, new, 1, record.as_of_date))
            task = _raised_task(record, name, last, new, states, config)
            if task is not None:
                plan.writes.append(task)

    for key, state in states.items():
        if state.open is None or key in visited:
            continue
        if key[0] == TASK:  # a raised task stands even when its record left the marts
            if in_flight(state.open):
                plan.in_flight += 1
            elif state.open.attempt >= policy.max_record_attempts:
                plan.given_up += 1
            else:
                plan.writes.append(_resend(state.open))
        else:
            plan.superseded.append((state.open, "no longer in the scored marts"))
    return plan


def _raised_task(
    record: Desired,
    name: str,
    last: str | None,
    new: str,
    states: dict[tuple[str, str, str], _FieldState],
    config: SalesforceConfig,
) -> Write | None:
    """The task a changed trigger field raises, unless its key is already in the log."""
    trigger, levels = TASK_TRIGGERS.get(record.sobject, ("", frozenset()))
    if name != trigger or record.task is None:
        return None
    if decode(new) not in levels or decode(last) in levels:
        return None
    key = task_key(record.sobject, record.record_key, record.as_of_date)
    if (TASK, key, TASK_FIELD) in states:
        return None
    body = encode(task_fields(record, config))
    return Write(TASK, key, TASK_FIELD, 1, None, body, 1, record.as_of_date)
