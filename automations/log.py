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


def add_to_segment(
    session: Session,
    *,
    run_id: str,
    rule: tuple[str, str, str],
    executions: list[tuple[str, int, str]],
    segment: str,
    now: datetime,
) -> tuple[int, int]:
    """A segment rule's matches in three statements, whatever their number: new members
    appended to ``ops.customer_segments``, every execution logged ``executed``, the members
    who were in the segment already refreshed. ``rule`` is (rule id, trigger, action);
    ``executions`` (execution id, customer id, trigger reason). Returns (added, refreshed).

    The segment is written before the log: a crash between them leaves members without log
    rows, and the next run logs them as already members (the action is idempotent), never a
    logged execution whose member is missing.
    """
    import pandas as pd

    rule_id, trigger_type, action = rule
    existing = {
        int(row[0])
        for row in session.execute(
            f"select customer_id from {SEGMENTS_TABLE} where segment = %s", (segment,)
        )
    }
    customers = [customer for _, customer, _ in executions]
    new = [customer for customer in customers if customer not in existing]
    session.append_frame(
        SEGMENTS_TABLE,
        pd.DataFrame(
            {
                "customer_id": pd.Series(new, dtype="int64"),
                "segment": segment,
                "rule_id": rule_id,
                "added_at": now,
                "updated_at": now,
            }
        ),
    )
    added = set(new)
    session.append_frame(
        RUNS_TABLE,
        pd.DataFrame(
            {
                "execution_id": [key for key, _, _ in executions],
                "run_id": run_id,
                "rule_id": rule_id,
                "customer_id": pd.Series(customers, dtype="int64"),
                "trigger_type": trigger_type,
                "action": action,
                "status": "executed",
                "trigger_reason": [reason for _, _, reason in executions],
                "detail": [
                    f"segment {segment}: " + ("added" if customer in added else "already a member")
                    for customer in customers
                ],
                "error_message": pd.Series([None] * len(customers), dtype="object"),
                "triggered_at": now,
                "executed_at": now,
            }
        ),
    )
    refreshed = len(customers) - len(new)
    if refreshed:
        session.execute(
            f"update {SEGMENTS_TABLE} set updated_at = %s, rule_id = %s"
            f" where segment = %s and customer_id in (select runs.customer_id from {RUNS_TABLE}"
            " as runs where runs.run_id = %s and runs.rule_id = %s)",
            (now, rule_id, segment, run_id, rule_id),
        )
    return len(new), refreshed
