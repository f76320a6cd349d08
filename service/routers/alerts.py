"""``GET /alerts`` and ``PATCH /alerts/{id}``: the alert inbox and its lifecycle.

Listing reads the alerts mart with each alert's current status (its latest event in
``ops.alert_events``) from the warehouse itself, so a change shows at once; while a DuckDB run
holds the warehouse it reads the copy in the marts snapshot instead (``"source": "snapshot"``).
Changes go through ``notifier.lifecycle.change_alert_in``, the same rules as Slack and
``ciw alerts``; its refusals keep their status codes (403, 404, 409, 422).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from service.reader import WarehouseBusy, live_session
from service.routers.common import (
    WAREHOUSE_BUSY,
    Page,
    caller_scope,
    page_params,
    plain_row,
    reader_of,
)
from service.scope import Scope

router = APIRouter(tags=["alerts"])

ALERTS = "marts.alerts"
EVENTS = "ops.alert_events"
Status = Literal["open", "acknowledged", "in_progress", "resolved", "dismissed"]
LIST_COLUMNS = (
    "alert_id, alert_type, entity_type, entity_id, entity_name, severity, urgency, title,"
    " details, factors, suggested_actions, owner_user_id, owner_name, as_of_date, created_at"
)
Rows = Callable[[str, Sequence[Any]], list[dict[str, Any]]]

AlertId = Annotated[
    str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$", description="Alert id.")
]
Text = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@ -]+$")]


class AlertChange(BaseModel):
    """What to change: a new status, an assignee (a CRM user id), a note; at least one."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    assigned_to: str | None = Field(default=None, min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=2000)


def list_alert_rows(
    rows: Rows,
    has_events: bool,
    scope: Scope,
    page: Page,
    *,
    status: str | None,
    owner: str | None,
    alert_type: str | None,
) -> list[dict[str, Any]]:
    """Alerts with their current status within the caller's scope, newest first."""
    prefixed = ", ".join(f"alerts.{name.strip()}" for name in LIST_COLUMNS.split(","))
    if has_events:
        current = (
            f"left join (select alert_id, status, assigned_to, occurred_at, row_number() over"
            f" (partition by alert_id order by sequence desc) as position from {EVENTS}) as"
            " events on events.alert_id = alerts.alert_id and events.position = 1"
        )
        state = (
            "coalesce(events.status, 'open') as status, events.assigned_to,"
            " coalesce(events.occurred_at, alerts.created_at) as updated_at"
        )
    else:
        current = ""
        state = "'open' as status, null as assigned_to, alerts.created_at as updated_at"
    sql = f"select * from (select {prefixed}, {state} from {ALERTS} as alerts {current}) as listed"
    owners, params = scope.owner_filter("owner_user_id", "assigned_to")
    conditions = [owners]
    if scope.caller.role == "manager":
        conditions = [f"({owners} or owner_user_id is null)"]
    for column, value in (("status", status), ("alert_type", alert_type)):
        if value:
            conditions.append(f"{column} = %s")
            params.append(value)
    if owner:
        conditions.append("(owner_user_id = %s or lower(owner_name) = lower(%s))")
        params += [owner, owner]
    sql += " where " + " and ".join(conditions) + " order by created_at desc, alert_id" + page.sql()
    return rows(sql, params)


@router.get("/alerts", summary="Alerts in the caller's scope with their lifecycle status")
def alerts(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    page: Annotated[Page, Depends(page_params)],
    status: Annotated[Status | None, Query(description="Only alerts in this status.")] = None,
    owner: Annotated[Text | None, Query(description="Owner's CRM user id or name.")] = None,
    type: Annotated[Text | None, Query(description="Alert type, e.g. churn_risk.")] = None,
) -> dict[str, Any]:
    filters = {"status": status, "owner": owner, "alert_type": type}
    settings = request.app.state.settings
    try:
        with live_session(settings) as session:
            if not session.table_exists(ALERTS):
                return page.answer([], source="warehouse")
            found = list_alert_rows(
                session.rows, session.table_exists(EVENTS), scope, page, **filters
            )
        return page.answer(found, source="warehouse")
    except WarehouseBusy:
        reader = reader_of(request)
        if not reader.has_table(ALERTS):
            return page.answer([], source="snapshot")
        found = list_alert_rows(reader.rows, reader.has_table(EVENTS), scope, page, **filters)
        return page.answer(found, source="snapshot")


@router.patch(
    "/alerts/{alert_id}",
    summary="Acknowledge, start, resolve, dismiss or assign an alert (the lifecycle's rules)",
    responses={
        403: {"description": "the caller may not change this alert"},
        404: {"description": "unknown alert or assignee"},
        409: {"description": "a transition the lifecycle forbids"},
        **WAREHOUSE_BUSY,
    },
)
def change(
    request: Request,
    alert_id: AlertId,
    scope: Annotated[Scope, Depends(caller_scope)],
    body: Annotated[AlertChange, Body()],
) -> dict[str, Any]:
    from notifier.lifecycle import Actor, LifecycleError, change_alert_in

    if body.status is None and body.assigned_to is None and body.note is None:
        raise HTTPException(status_code=422, detail="body: give a status, assigned_to or note")
    caller = scope.caller
    actor = Actor(name=caller.user_id, source="api", user_id=caller.user_id, role=caller.role)
    try:
        with live_session(request.app.state.settings) as session:
            state, changed = change_alert_in(
                session,
                alert_id,
                actor,
                status=body.status,
                assigned_to=body.assigned_to,
                note=body.note,
            )
    except LifecycleError as refused:
        raise HTTPException(status_code=refused.http_status, detail=str(refused)) from None
    return {
        "changed": changed,
        **plain_row(
            {
                "alert_id": state.alert_id,
                "status": state.status,
                "assigned_to": state.assigned_to,
                "note": state.note,
                "updated_at": state.updated_at,
                "updated_by": state.updated_by,
                "version": state.version,
                "owner_user_id": state.owner_user_id,
                "alert_type": state.alert_type,
            }
        ),
    }
