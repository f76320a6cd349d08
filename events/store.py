"""The worker's own tables: timers (``ops.event_timers``), the scores it computed
(``ops.event_scores``) and the alerts it raised (``ops.event_alerts``, the rows the alerts mart
will hold once the batch sees the events)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from notifier.messages import Alert
from warehouse.adapters import Session

TIMERS_TABLE = "ops.event_timers"
SCORES_TABLE = "ops.event_scores"
ALERTS_TABLE = "ops.event_alerts"

DDL = (
    f"""create table if not exists {TIMERS_TABLE} (
        timer_key varchar primary key,
        kind varchar not null,
        entity_id varchar not null,
        due_at timestamp not null,
        status varchar not null,
        payload varchar,
        updated_at timestamp not null
    )""",
    f"""create table if not exists {SCORES_TABLE} (
        source varchar not null,
        event_id varchar not null,
        model_name varchar not null,
        model_version varchar not null,
        entity_id varchar not null,
        score double precision,
        scored_at timestamp not null
    )""",
    f"""create table if not exists {ALERTS_TABLE} (
        alert_id varchar primary key,
        alert_type varchar not null,
        entity_type varchar not null,
        entity_id varchar not null,
        severity varchar not null,
        recipient varchar not null,
        title varchar,
        source varchar,
        event_id varchar,
        raised_at timestamp not null
    )""",
)


#: PostgreSQL indexes for the worker's look-ups, one per (table, columns): the customer's raw
#: orders, a web session's customer and cart events, an account's usage and latest row, the
#: timers of an entity and the due ones. Not on DuckDB, which scans (and whose indexes on
#: updated columns can fail its WAL replay after a crash).
LOOKUP_INDEXES = (
    ("raw_commerce.orders", ("customer_id", "ordered_at")),
    ("raw_commerce.web_sessions", ("session_id",)),
    ("raw_commerce.web_sessions", ("customer_id",)),
    ("raw_commerce.cart_events", ("session_id", "occurred_at")),
    ("raw_product.usage_events", ("account_id", "occurred_at")),
    ("raw_crm.accounts", ("account_id",)),
    (TIMERS_TABLE, ("kind", "entity_id", "status")),
    (TIMERS_TABLE, ("status", "due_at")),
)


def ensure_worker_tables(session: Session, *, indexes: bool = False) -> None:
    """The worker's tables, and with ``indexes`` (PostgreSQL) the look-up indexes of the raw
    tables that exist (a source that is not loaded has none)."""
    session.ensure_schema("ops")
    for statement in DDL:
        session.execute(statement)
    if not indexes:
        return
    for table, columns in LOOKUP_INDEXES:
        if session.table_exists(table):
            name = "ciw_lookup_" + "_".join([table.split(".")[1], *columns])
            session.execute(f"create index if not exists {name} on {table} ({', '.join(columns)})")


def set_timer(
    session: Session,
    kind: str,
    entity_id: str,
    key: str,
    due_at: datetime,
    payload: str,
    now: datetime,
    *,
    only_later: bool = False,
    restart: bool = True,
) -> None:
    """Start a timer, or move a waiting one (``only_later``: never to an earlier time, so an
    older cart add arriving late does not pull the abandonment timer forward). A timer that
    fired or was cancelled starts again, unless ``restart`` is False (a key fires once)."""
    if only_later:
        later = session.execute(
            f"select count(*) from {TIMERS_TABLE} where timer_key = %s and status = 'waiting' "
            "and due_at >= %s",
            (key, due_at),
        )
        if later[0][0]:
            return
    if restart:
        session.execute(f"delete from {TIMERS_TABLE} where timer_key = %s", (key,))
    session.execute(
        f"insert into {TIMERS_TABLE} (timer_key, kind, entity_id, due_at, status, payload, "
        "updated_at) values (%s, %s, %s, %s, 'waiting', %s, %s) on conflict do nothing",
        (key, kind, entity_id, due_at, payload, now),
    )


def cancel_timers(session: Session, kind: str, entity_ids: Collection[str], now: datetime) -> None:
    """Cancel the waiting ``kind`` timers of these entities."""
    if not entity_ids:
        return
    marks = ", ".join(["%s"] * len(entity_ids))
    session.execute(
        f"update {TIMERS_TABLE} set status = 'cancelled', updated_at = %s "
        f"where kind = %s and status = 'waiting' and entity_id in ({marks})",
        (now, kind, *sorted(entity_ids)),
    )


def due_timers(session: Session, now: datetime) -> list[dict[str, Any]]:
    return session.rows(
        f"select timer_key, kind, entity_id, due_at, payload from {TIMERS_TABLE} "
        "where status = 'waiting' and due_at <= %s order by due_at",
        (now,),
    )


def fire_timer(session: Session, key: str, now: datetime) -> None:
    session.execute(
        f"update {TIMERS_TABLE} set status = 'fired', updated_at = %s where timer_key = %s",
        (now, key),
    )


def record_alert(session: Session, alert: Alert, source: str, event_id: str, now: datetime) -> None:
    session.execute(
        f"insert into {ALERTS_TABLE} (alert_id, alert_type, entity_type, entity_id, severity, "
        "recipient, title, source, event_id, raised_at) values "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
        (
            alert.alert_id,
            alert.alert_type,
            alert.entity_type,
            alert.entity_id,
            alert.severity,
            alert.recipient,
            alert.title,
            source,
            event_id,
            now,
        ),
    )


def record_score(
    session: Session, source: str, event_id: str, row: dict[str, Any], now: datetime
) -> None:
    session.execute(
        f"insert into {SCORES_TABLE} (source, event_id, model_name, model_version, entity_id, "
        "score, scored_at) values (%s, %s, %s, %s, %s, %s, %s)",
        (
            source,
            event_id,
            row["model_name"],
            row["model_version"],
            row["entity_id"],
            float(row["score"]),
            now,
        ),
    )
