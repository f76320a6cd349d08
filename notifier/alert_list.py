"""Reading the alert lifecycle: alerts with their current status (``ciw alerts list``, the
HTTP API's listing) and one alert's events. The rules that change it are in
``notifier.lifecycle``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from notifier.lifecycle import EVENTS_TABLE, STATUSES, LifecycleError, UnknownAlert, ensure_events
from notifier.store import ALERTS_TABLE
from warehouse.settings import Settings


def alert_events(settings: Settings, alert_id: str) -> list[dict[str, Any]]:
    """Every event of one alert, oldest first."""
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        if not session.table_exists(EVENTS_TABLE):
            return []
        return session.rows(
            f"select * from {EVENTS_TABLE} where alert_id = %s order by sequence", (alert_id,)
        )


LIST_COLUMNS = (
    "alert_id",
    "alert_type",
    "severity",
    "title",
    "owner_user_id",
    "owner_name",
    "created_at",
)


def list_alerts(
    settings: Settings,
    *,
    status: Sequence[str] = (),
    owner: str | None = None,
    alert_type: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Alerts with their current status, newest first; ``owner`` matches the owner's CRM id
    or name (case-insensitive) or the assignee."""
    from warehouse import adapter_for

    for value in status:
        if value not in STATUSES:
            raise LifecycleError(f"status {value!r} is not one of {', '.join(STATUSES)}")
    with adapter_for(settings).session() as session:
        if not session.table_exists(ALERTS_TABLE):
            raise UnknownAlert(f"{ALERTS_TABLE} does not exist: run `ciw run` first")
        ensure_events(session)
        alert_columns = ", ".join(f"alerts.{name}" for name in LIST_COLUMNS)
        sql = (
            f"with ranked as (select alert_id, status, assigned_to, occurred_at, row_number()"
            f" over (partition by alert_id order by sequence desc) as position"
            f" from {EVENTS_TABLE}),"
            f" listed as (select {alert_columns}, coalesce(ranked.status, 'open') as status,"
            f" ranked.assigned_to, coalesce(ranked.occurred_at, alerts.created_at) as updated_at"
            f" from {ALERTS_TABLE} as alerts left join ranked"
            f" on ranked.alert_id = alerts.alert_id and ranked.position = 1)"
            f" select * from listed where true"
        )
        params: list[Any] = []
        if status:
            sql += f" and status in ({', '.join(['%s'] * len(status))})"
            params += list(status)
        if owner:
            sql += " and (owner_user_id = %s or lower(owner_name) = lower(%s) or assigned_to = %s)"
            params += [owner, owner, owner]
        if alert_type:
            sql += " and alert_type = %s"
            params.append(alert_type)
        sql += " order by created_at desc, alert_id limit %s"
        params.append(limit)
        return session.rows(sql, params)
