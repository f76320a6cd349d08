"""ops.automation_runs: one row per execution of a rule for a customer, and ops.customer_segments.

An execution is written ``triggered`` before its action runs and becomes ``executed`` or
``failed`` (with the reason) after it, each step committed at once, so a crash leaves a
``triggered`` row as evidence. Duplicate prevention reads the same table: a rule does not run
again for a customer within ``DUPLICATE_WINDOW`` of an execution that was not ``failed`` (a
failed one - a marketing tool that was down - is retried on the next run). Same SQL on DuckDB
and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from warehouse.adapters import Session

RUNS_TABLE = "ops.automation_runs"
SEGMENTS_TABLE = "ops.customer_segments"
DUPLICATE_WINDOW = timedelta(hours=24)
STATUSES = ("triggered", "executed", "failed")

RUNS_DDL = f"""
create table if not exists {RUNS_TABLE} (
    execution_id varchar not null primary key,
    run_id varchar not null,
    rule_id varchar not null,
    customer_id bigint not null,
    trigger_type varchar not null,
    action varchar not null,
    status varchar not null,
    trigger_reason varchar,
    detail varchar,
    error_message varchar,
    triggered_at timestamp not null,
    executed_at timestamp
)
"""

SEGMENTS_DDL = f"""
create table if not exists {SEGMENTS_TABLE} (
    customer_id bigint not null,
    segment varchar not null,
    rule_id varchar not null,
    added_at timestamp not null,
    updated_at timestamp not null,
    primary key (customer_id, segment)
)
"""


def ensure_tables(session: Session) -> None:
    session.ensure_schema("ops")
    session.execute(RUNS_DDL)
    session.execute(SEGMENTS_DDL)


def recently_run(session: Session, rule_id: str, now: datetime) -> set[int]:
    """Customers ``rule_id`` ran for (not failed) within the duplicate window before ``now``."""
    rows = session.execute(
        f"select distinct customer_id from {RUNS_TABLE}"
        " where rule_id = %s and status <> 'failed' and triggered_at > %s",
        (rule_id, now - DUPLICATE_WINDOW),
    )
    return {int(row[0]) for row in rows}


def record_triggered(
    session: Session,
    *,
    execution_id: str,
    run_id: str,
    rule_id: str,
    customer_id: int,
    trigger_type: str,
    action: str,
    trigger_reason: str,
    now: datetime,
) -> None:
    session.execute(
        f"insert into {RUNS_TABLE} (execution_id, run_id, rule_id, customer_id, trigger_type,"
        " action, status, trigger_reason, triggered_at) values (%s, %s, %s, %s, %s, %s,"
        " 'triggered', %s, %s)",
        (execution_id, run_id, rule_id, customer_id, trigger_type, action, trigger_reason, now),
    )


def record_outcome(
    session: Session,
    execution_id: str,
    *,
    executed: bool,
    detail: str | None,
    error: str | None,
    now: datetime,
) -> None:
    session.execute(
        f"update {RUNS_TABLE} set status = %s, detail = %s, error_message = %s, executed_at = %s"
        " where execution_id = %s",
        ("executed" if executed else "failed", detail, error, now, execution_id),
    )


def upsert_segment(
    session: Session, customer_id: int, segment: str, rule_id: str, now: datetime
) -> bool:
    """Put the customer in ``segment``; False when they were in it already (time refreshed)."""
    found = session.execute(
        f"select count(*) from {SEGMENTS_TABLE} where customer_id = %s and segment = %s",
        (customer_id, segment),
    )
    if found[0][0]:
        session.execute(
            f"update {SEGMENTS_TABLE} set updated_at = %s, rule_id = %s"
            " where customer_id = %s and segment = %s",
            (now, rule_id, customer_id, segment),
        )
        return False
    session.execute(
        f"insert into {SEGMENTS_TABLE} (customer_id, segment, rule_id, added_at, updated_at)"
        " values (%s, %s, %s, %s, %s)",
        (customer_id, segment, rule_id, now, now),
    )
    return True
