"""The notifier's warehouse tables: marts.alerts (read) and ops.alert_deliveries (the log).

The log has one row per (alert_id, destination). A row is claimed as ``sending`` before the
Slack call and becomes ``sent`` (with the Slack ts) after it, each step committed at once, so a
crash leaves evidence that the next run reconciles (docs/alerts.md). Same SQL on DuckDB and
PostgreSQL; parameters are written ``%s`` and translated for DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notifier.config import NotifierError
from notifier.messages import Alert
from warehouse.adapters import Session
from warehouse.settings import Settings

OPS_SCHEMA = "ops"
DELIVERIES_TABLE = f"{OPS_SCHEMA}.alert_deliveries"
ALERTS_TABLE = "marts.alerts"


def utc_now() -> datetime:
    """Now as the naive UTC timestamp the notifier's tables store."""
    return datetime.now(UTC).replace(tzinfo=None)


DELIVERIES_DDL = f"""
create table if not exists {DELIVERIES_TABLE} (
    alert_id varchar not null,
    destination varchar not null,
    delivery_kind varchar not null,
    delivery_key varchar not null,
    status varchar not null,
    channel_id varchar,
    slack_ts varchar,
    attempts integer not null,
    claimed_at timestamp not null,
    sent_at timestamp,
    error varchar,
    primary key (alert_id, destination)
)
"""

#: Log statuses. ``sending``: claimed, the Slack call may or may not have happened;
#: ``sent``: Slack confirmed (ts kept); ``outbox``: written to the local file;
#: ``unknown``: a webhook call that may or may not have posted - its answer was lost, or a
#: crash interrupted it - never resent (SLACK_WEBHOOK_AMBIGUOUS=skip, see docs/alerts.md);
#: ``failed``: refused, e.g. Slack's channel_not_found or an SMTP 4xx (retried on the next
#: runs, at most ``MAX_ATTEMPTS`` claims in all); ``refused``: refused for good, e.g. an address
#: the mail server rejects with a 5xx (never retried; ``error`` holds the server's reason).
STATUSES = ("sending", "sent", "outbox", "unknown", "failed", "refused")
DONE_STATUSES = ("sent", "outbox", "unknown", "refused")
#: Claims of one (alert, destination) across runs before a ``failed`` one is given up.
MAX_ATTEMPTS = 5
#: What ``unknown`` was called before; ``ensure_log`` renames old rows.
LEGACY_UNKNOWN_STATUS = "unconfirmed"


@dataclass(frozen=True)
class LogRow:
    alert_id: str
    destination: str
    delivery_kind: str
    delivery_key: str
    status: str
    channel_id: str | None
    slack_ts: str | None
    attempts: int
    claimed_at: datetime


class Store:
    """One open warehouse session, autocommitting every statement."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.settings = settings
        self._session = session

    @property
    def session(self) -> Session:
        return self._session

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows (none for statements without a result)."""
        return self._session.execute(sql, params)

    def table_exists(self, qualified_name: str) -> bool:
        return self._session.table_exists(qualified_name)

    def ensure_log(self) -> None:
        self.execute(f"create schema if not exists {OPS_SCHEMA}")
        self.execute(DELIVERIES_DDL)
        self.execute(
            f"update {DELIVERIES_TABLE} set status = 'unknown' where status = %s",
            (LEGACY_UNKNOWN_STATUS,),
        )

    # --- reading ---------------------------------------------------------------------------

    def recent_alerts(self, since: datetime) -> list[Alert]:
        """Alerts created at or after ``since``; a clear error when the mart is missing."""
        if not self.table_exists(ALERTS_TABLE):
            raise NotifierError(
                f"{ALERTS_TABLE} does not exist in {self.settings.describe()}: run `ciw run` first"
            )
        names = list(Alert.__dataclass_fields__)
        rows = self.execute(
            f"select {', '.join(names)} from {ALERTS_TABLE}"
            " where created_at >= %s order by alert_id",
            (since,),
        )
        return [Alert.from_row(dict(zip(names, row, strict=True))) for row in rows]

    def log_rows(self) -> list[LogRow]:
        names = list(LogRow.__dataclass_fields__)
        rows = self.execute(f"select {', '.join(names)} from {DELIVERIES_TABLE}")
        return [LogRow(**dict(zip(names, row, strict=True))) for row in rows]

    # --- the claim / confirm protocol ------------------------------------------------------

    def claim(
        self, pairs: Sequence[tuple[str, str]], kind: str, delivery_key: str, now: datetime
    ) -> bool:
        """Claim (alert_id, destination) pairs as ``sending`` before the Slack call.

        New pairs are inserted; ``failed`` ones are taken over. False when another run holds
        or finished any of them (then nothing is sent for this message).
        """
        if not pairs:
            return True
        # New pairs in one statement (one commit per message, not per alert) ...
        rows = ", ".join(["(%s, %s, %s, %s, 'sending', 1, %s)"] * len(pairs))
        params = [value for pair in pairs for value in (*pair, kind, delivery_key, now)]
        inserted = self.execute(
            f"insert into {DELIVERIES_TABLE} (alert_id, destination, delivery_kind,"
            f" delivery_key, status, attempts, claimed_at) values {rows}"
            " on conflict do nothing returning alert_id, destination",
            params,
        )
        claimed = len(inserted)
        new = {(str(alert_id), str(destination)) for alert_id, destination in inserted}
        # ... and the logged ones taken over one by one, only when their last attempt failed.
        for alert_id, destination in pairs:
            if (alert_id, destination) in new:
                continue
            taken = self.execute(
                f"update {DELIVERIES_TABLE} set status = 'sending', delivery_key = %s,"
                " delivery_kind = %s, attempts = attempts + 1, claimed_at = %s, error = null"
                " where alert_id = %s and destination = %s and status = 'failed'"
                " and attempts < %s returning alert_id",
                (delivery_key, kind, now, alert_id, destination, MAX_ATTEMPTS),
            )
            claimed += len(taken)
        if claimed < len(pairs):
            self.release(delivery_key, only_status="sending")
            return False
        return True

    def confirm(
        self,
        delivery_key: str,
        status: str,
        *,
        sent_at: datetime,
        channel_id: str | None = None,
        slack_ts: str | None = None,
    ) -> None:
        """Mark the claimed rows of one message as sent (or written to the outbox)."""
        self.execute(
            f"update {DELIVERIES_TABLE} set status = %s, channel_id = %s, slack_ts = %s,"
            " sent_at = %s, error = null where delivery_key = %s and status = 'sending'",
            (status, channel_id, slack_ts, sent_at, delivery_key),
        )

    def fail(self, delivery_key: str, error: str) -> None:
        """Slack refused the message for good: the next run tries again."""
        self.execute(
            f"update {DELIVERIES_TABLE} set status = 'failed', error = %s"
            " where delivery_key = %s and status = 'sending'",
            (error[:500], delivery_key),
        )

    def refuse(self, delivery_key: str, reason: str) -> None:
        """Refused for good (e.g. a mail server's 5xx for the address): never retried."""
        self.execute(
            f"update {DELIVERIES_TABLE} set status = 'refused', error = %s"
            " where delivery_key = %s and status = 'sending'",
            (reason[:500], delivery_key),
        )

    def release(self, delivery_key: str, only_status: str = "sending") -> None:
        """Drop claims that certainly did not reach Slack, so the pairs are due again."""
        self.execute(
            f"delete from {DELIVERIES_TABLE} where delivery_key = %s and status = %s",
            (delivery_key, only_status),
        )

    def mark_unknown(self, delivery_key: str, reason: str) -> None:
        """A webhook message that may or may not have arrived: never resent."""
        self.execute(
            f"update {DELIVERIES_TABLE} set status = 'unknown', error = %s"
            " where delivery_key = %s and status = 'sending'",
            (reason[:500], delivery_key),
        )


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        yield Store(session, settings)
