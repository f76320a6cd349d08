"""``ops.crm_writeback``: every value and task sent to the CRM, claimed before it is sent and
settled after the CRM answers (same SQL on DuckDB and PostgreSQL).

One row per (target, object, record, field, generation): a field's first value is generation
1, each new value the next. Statuses: ``pending`` (claimed; the request may or may not have
reached the CRM), ``written`` (the CRM confirmed the record), ``failed`` (the CRM refused the
record, or the run stopped before or while sending it: sent again next run), ``superseded``
(never written, and the marts now want another value). Rows are written in bulk - new ones
appended as a frame, changes joined from a ``values`` list - so a batch of 200 records
costs one statement, not hundreds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from crm.plan import LogRow, Plan, Value, Write
from warehouse.adapters import Session

LOG_TABLE = "ops.crm_writeback"
LOG_DDL = f"""
create table if not exists {LOG_TABLE} (
    target varchar not null,
    sobject varchar not null,
    record_key varchar not null,
    field varchar not null,
    generation integer not null,
    old_value varchar,
    new_value varchar not null,
    status varchar not null,
    attempt integer not null,
    error varchar,
    crm_id varchar,
    created boolean,
    as_of_date date,
    claimed_at timestamp not null,
    sent_at timestamp,
    written_at timestamp,
    primary key (target, sobject, record_key, field, generation)
)
"""
#: Serializes planners on PostgreSQL (DuckDB takes one writer per file anyway).
PLAN_LOCK = "crm_writeback:plan"
_KEY = ("sobject", "record_key", "field", "generation")


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed write."""

    write: Write
    status: str  # written / failed
    error: str | None = None
    crm_id: str | None = None
    created: bool | None = None


def ensure_log(session: Session) -> None:
    session.ensure_schema("ops")
    session.execute(LOG_DDL)


def read_log(session: Session, target: str) -> list[LogRow]:
    names = [item.name for item in fields(LogRow)]
    return [
        LogRow(**row)
        for row in session.rows(
            f"select {', '.join(names)} from {LOG_TABLE} where target = %s", (target,)
        )
    ]


def claim(session: Session, plan: Plan, target: str, now: datetime) -> None:
    """Record the plan before anything is sent: new writes as ``pending`` rows, writes sent
    again back to ``pending`` with their attempt counted, stale rows ``superseded``."""
    import pandas as pd

    new = [write for write in plan.writes if not write.is_retry]
    if new:
        frame = pd.DataFrame(
            [
                {
                    "target": target,
                    **_key(write),
                    "old_value": write.old_value,
                    "new_value": write.new_value,
                    "status": "pending",
                    "attempt": 1,
                    "as_of_date": write.as_of_date,
                    "claimed_at": now,
                }
                for write in new
            ]
        )
        session.append_frame(LOG_TABLE, frame)
    retries = [write for write in plan.writes if write.is_retry]
    _update(
        session,
        target,
        [{**_key(write), "attempt": write.attempt, "changed_at": now} for write in retries],
        "status = 'pending', attempt = incoming.attempt, error = null,"
        " claimed_at = incoming.changed_at",
    )
    _update(
        session,
        target,
        [{**_key(row), "error": why} for row, why in plan.superseded],
        "status = 'superseded', error = incoming.error",
    )


def settle(session: Session, target: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Record the CRM's answer for each claimed write."""
    rows = [
        {
            **_key(outcome.write),
            "attempt": outcome.write.attempt,
            "error": outcome.error[:1000] if outcome.error else None,
            "status": outcome.status,
            "crm_id": outcome.crm_id,
            "created": outcome.created,
            "changed_at": now,
        }
        for outcome in outcomes
    ]
    _update(
        session,
        target,
        rows,
        "status = incoming.status, error = incoming.error, crm_id = incoming.crm_id,"
        " created = incoming.created, sent_at = incoming.changed_at,"
        " written_at = case when incoming.status = 'written' then incoming.changed_at end",
    )


def _key(value: Value) -> dict[str, Any]:
    return dict(zip(_KEY, value.key, strict=True))


#: The columns an update joins on or sets, with their types (every row supplies them all).
_INCOMING_COLUMNS = {
    "sobject": "varchar",
    "record_key": "varchar",
    "field": "varchar",
    "generation": "integer",
    "attempt": "integer",
    "error": "varchar",
    "status": "varchar",
    "crm_id": "varchar",
    "created": "boolean",
    "changed_at": "timestamp",
    "target": "varchar",
}
#: Rows per update statement (PostgreSQL takes at most 65535 parameters in one).
_ROWS_PER_STATEMENT = 1000


def _update(
    session: Session,
    target: str,
    rows: list[dict[str, Any]],
    assignments: str,
) -> None:
    """``update ... set <assignments>`` for each open row (pending or failed) with one of
    ``rows``' keys, joined from a ``values`` list (one statement, one commit, per thousand
    rows): a settled row is never changed again. Every parameter sits in the ``values``
    list: DuckDB numbers an update's parameters in its own order, not the text's."""
    names = list(_INCOMING_COLUMNS)
    #: The first row names the types (a values list takes its column types from there).
    typed_row = "(" + ", ".join(f"cast(%s as {kind})" for kind in _INCOMING_COLUMNS.values()) + ")"
    plain_row = "(" + ", ".join(["%s"] * len(names)) + ")"
    condition = " and ".join(f"{LOG_TABLE}.{name} = incoming.{name}" for name in ("target", *_KEY))
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        session.execute(
            f"update {LOG_TABLE} set {assignments}"
            f" from (values {', '.join([typed_row] + [plain_row] * (len(chunk) - 1))})"
            f" as incoming ({', '.join(names)})"
            f" where {LOG_TABLE}.status in ('pending', 'failed') and {condition}",
            [{**row, "target": target}.get(name) for row in chunk for name in names],
        )
