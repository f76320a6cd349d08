"""Taking in a group of events in one transaction: their rows checked by the loader's rules
(``events.validation``, one query per source and set of keys), then each event's inbox row
(``ops.event_inbox``, primary key source + event id: a repeat inserts nothing) with its raw
row or quarantine row, one multi-row insert per table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events.schemas import EventSource
from events.validation import Checked, Record, check_records
from sources.contract import METADATA_COLUMNS
from sources.load.ddl import QUARANTINE_COLUMNS, QUARANTINE_RELATION, quote
from warehouse.adapters import Session

INBOX_TABLE = "ops.event_inbox"
INBOX_COLUMNS = (
    "source",
    "event_id",
    "table_key",
    "entity_id",
    "status",
    "reason",
    "payload",
    "received_at",
    "attempts",
)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def batch_id(source: str, event_id: str) -> str:
    """The raw rows' ``_batch_id`` of one event (what ties a raw row to its inbox row)."""
    return f"event:{source}:{event_id}"


@dataclass(frozen=True)
class Accepted:
    """What the endpoint answers: ``accepted`` (202), ``quarantined`` (422) or, for a repeat,
    ``duplicate`` with the first outcome."""

    outcome: str
    reason: str | None = None
    first_outcome: str | None = None


@dataclass
class Ticket:
    """One request's event on its way in, and what became of it."""

    source: EventSource
    event_id: str
    data: dict[str, Any]
    checked: Checked | None = None
    result: Accepted | None = None
    error: BaseException | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source.name, self.event_id)

    @property
    def settled(self) -> bool:
        return self.result is not None or self.error is not None

    def answer(self) -> Accepted:
        """The outcome, or the error that kept the event out (raised)."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def validated(group: list[Ticket]) -> list[Ticket]:
    """The group's rows checked by the loader's rules, one call per source; the tickets that
    could not be checked get their error and are left out."""
    loaded_at = utc_now()
    by_source: dict[str, list[Ticket]] = {}
    for ticket in group:
        by_source.setdefault(ticket.source.name, []).append(ticket)
    valid: list[Ticket] = []
    for tickets in by_source.values():
        table = tickets[0].source.table
        records = [Record(t.data, f"events/{t.source.name}/{t.event_id}") for t in tickets]
        try:
            checked = check_records(table, records, loaded_at)
        except Exception:
            for ticket in tickets:
                ticket.error = failure()
            continue
        for ticket, result in zip(tickets, checked, strict=True):
            ticket.checked = result
            valid.append(ticket)
    return valid


def failure() -> BaseException:
    """The exception being handled (for a ticket's caller to raise)."""
    import sys

    error = sys.exc_info()[1]
    return error if error is not None else RuntimeError("the event could not be stored")


def store_group(session: Session, group: Sequence[Ticket]) -> list[Accepted]:
    """The group's rows, in the caller's transaction: one insert per table for all of them.
    A repeat (already in the inbox, or earlier in the group) stores nothing and answers
    ``duplicate`` with the first outcome."""
    now = utc_now()
    first: dict[tuple[str, str], Ticket] = {}
    for ticket in group:
        first.setdefault(ticket.key, ticket)
    fresh = list(first.values())
    inserted = {
        (str(source), str(event_id))
        for source, event_id in session.execute(
            _insert(INBOX_TABLE, INBOX_COLUMNS, len(fresh))
            + " on conflict do nothing returning source, event_id",
            [value for ticket in fresh for value in _inbox_row(ticket, now)],
        )
    }
    stored = [ticket for ticket in fresh if ticket.key in inserted]
    rows: dict[str, list[list[Any]]] = {}
    for ticket in stored:
        relation, row = _raw_or_quarantine_row(ticket, now)
        rows.setdefault(relation, []).append(row)
    for relation, table_rows in rows.items():
        columns: Sequence[str] = (
            list(QUARANTINE_COLUMNS)
            if relation == QUARANTINE_RELATION
            else (*_table(stored, relation).column_names, *METADATA_COLUMNS)
        )
        session.execute(
            _insert(relation, columns, len(table_rows)), [v for row in table_rows for v in row]
        )
    outcomes: dict[tuple[str, str], Accepted] = {}
    for ticket in stored:
        assert ticket.checked is not None
        accepted = ticket.checked.values is not None
        outcomes[ticket.key] = Accepted(
            "accepted" if accepted else "quarantined", ticket.checked.reason
        )
    answers = []
    for ticket in group:
        if ticket is first[ticket.key] and ticket.key in outcomes:
            answers.append(outcomes[ticket.key])
        elif ticket.key in outcomes:  # a repeat of an event earlier in this group
            earlier = outcomes[ticket.key]
            answers.append(Accepted("duplicate", earlier.reason, earlier.outcome))
        else:
            answers.append(_repeat(session, ticket))
    return answers


def _inbox_row(ticket: Ticket, now: datetime) -> list[Any]:
    checked = ticket.checked
    assert checked is not None
    values = checked.values
    entity = None if values is None else values.get(ticket.source.entity_column)
    return [
        ticket.source.name,
        ticket.event_id,
        ticket.source.table_key,
        None if entity is None else str(entity),
        "pending" if values is not None else "quarantined",
        checked.reason,
        json.dumps(values, default=str) if values is not None else checked.raw_record,
        now,
        0,
    ]


def _raw_or_quarantine_row(ticket: Ticket, now: datetime) -> tuple[str, list[Any]]:
    checked = ticket.checked
    assert checked is not None
    table = ticket.source.table
    batch = batch_id(ticket.source.name, ticket.event_id)
    source_file = f"events/{ticket.source.name}/{ticket.event_id}"
    if checked.values is not None:
        values = checked.values
        return table.relation, [
            *(values[name] for name in table.column_names),
            batch,
            source_file,
            1,
            now,
        ]
    return QUARANTINE_RELATION, [
        batch,
        table.key,
        source_file,
        1,
        checked.columns,
        checked.reason,
        checked.raw_record,
        now,
    ]


def _table(tickets: Sequence[Ticket], relation: str) -> Any:
    return next(t.source.table for t in tickets if t.source.table.relation == relation)


def _repeat(session: Session, ticket: Ticket) -> Accepted:
    """The answer to an event id the inbox holds already: its first outcome."""
    found = session.execute(
        f"select status, reason from {INBOX_TABLE} where source = %s and event_id = %s",
        ticket.key,
    )
    status, reason = found[0] if found else ("pending", None)
    return Accepted("duplicate", reason, "quarantined" if status == "quarantined" else "accepted")


def _insert(relation: str, columns: Sequence[str], rows: int) -> str:
    names = ", ".join(quote(column) for column in columns)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return f"insert into {relation} ({names}) values {', '.join([marks] * rows)}"
