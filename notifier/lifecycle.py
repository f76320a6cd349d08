"""The alert lifecycle: ``open → acknowledged → in_progress → resolved`` (or ``dismissed``),
with an assignee and a resolution note. Every change is one row appended to ``ops.alert_events``;
the current state of an alert is its latest event (``open`` without any).

One home for the rules, called by ``ciw alerts``, the Slack actions endpoint and the HTTP API
(``PATCH /alerts/{id}``)::

    from notifier.lifecycle import Actor, change_alert
    state = change_alert(settings, alert_id, Actor(name="U123", source="api", user_id="U123",
                         role="manager"), status="resolved", note="renewed for two years")

``change_alert`` raises a ``LifecycleError`` whose ``http_status`` says how to answer:
404 unknown alert or user, 403 not allowed, 409 a transition the rules forbid (or a concurrent
change), 422 bad input. Who may act: leadership roles (``admin``, ``cro``) on every alert; the
alert's owner, the owner's manager and the assignee on theirs; any manager on an alert with no
owner (a channel alert). Only leadership and the owner's manager assign to someone else; anyone
else who may act may assign the alert to themselves. Reading (listing with status, an
alert's events) is in ``notifier.alert_list``; ``change_alert_in`` does the same on an open
session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from notifier.config import NotifierError
from notifier.people import LEADERSHIP_ROLES, CrmUser, crm_user
from notifier.store import ALERTS_TABLE, OPS_SCHEMA, utc_now
from warehouse.adapters import Session
from warehouse.settings import Settings

EVENTS_TABLE = f"{OPS_SCHEMA}.alert_events"
STATUSES = ("open", "acknowledged", "in_progress", "resolved", "dismissed")
FINAL_STATUSES = ("resolved", "dismissed")
#: Where each status may go next; final statuses go nowhere.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("acknowledged", "in_progress", "resolved", "dismissed"),
    "acknowledged": ("in_progress", "resolved", "dismissed"),
    "in_progress": ("resolved", "dismissed"),
    "resolved": (),
    "dismissed": (),
}
SOURCES = ("cli", "slack", "api")
NOTE_LIMIT = 2000

EVENTS_DDL = f"""
create table if not exists {EVENTS_TABLE} (
    alert_id varchar not null,
    sequence integer not null,
    event_type varchar not null,
    from_status varchar not null,
    status varchar not null,
    assigned_to varchar,
    note varchar,
    actor varchar not null,
    actor_user_id varchar,
    source varchar not null,
    occurred_at timestamp not null,
    primary key (alert_id, sequence)
)
"""


class LifecycleError(NotifierError):
    """A change the rules refuse; ``http_status`` is the answer an HTTP caller should give."""

    http_status = 422


class UnknownAlert(LifecycleError):
    http_status = 404


class NotAllowed(LifecycleError):
    http_status = 403


class InvalidTransition(LifecycleError):
    http_status = 409


@dataclass(frozen=True)
class Actor:
    """Who makes a change: ``name`` goes into the event (a CRM user id, a Slack member, an OS
    user); ``user_id`` and ``role`` are the CRM user's, when known, and decide permissions."""

    name: str
    source: str
    user_id: str | None = None
    role: str | None = None

    @classmethod
    def for_user(cls, user: CrmUser, source: str) -> Actor:
        return cls(name=user.user_id, source=source, user_id=user.user_id, role=user.role)


@dataclass(frozen=True)
class AlertState:
    """An alert's place in the lifecycle (``version`` counts its events)."""

    alert_id: str
    status: str
    assigned_to: str | None
    note: str | None
    updated_at: datetime
    updated_by: str | None
    version: int
    owner_user_id: str | None
    alert_type: str
    title: str

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def ensure_events(session: Session) -> None:
    session.ensure_schema(OPS_SCHEMA)
    session.execute(EVENTS_DDL)


def current_state(session: Session, alert_id: str) -> AlertState:
    """The alert's state from its latest event; ``UnknownAlert`` when marts.alerts lacks it."""
    if not session.table_exists(ALERTS_TABLE):
        raise UnknownAlert(f"{ALERTS_TABLE} does not exist: run `ciw run` first")
    found = session.rows(
        f"select alert_id, alert_type, title, owner_user_id, created_at from {ALERTS_TABLE}"
        " where alert_id = %s",
        (alert_id,),
    )
    if not found:
        raise UnknownAlert(f"unknown alert id {alert_id!r} (not in {ALERTS_TABLE})")
    alert = found[0]
    state = AlertState(
        alert_id=alert_id,
        status="open",
        assigned_to=None,
        note=None,
        updated_at=alert["created_at"],
        updated_by=None,
        version=0,
        owner_user_id=alert["owner_user_id"],
        alert_type=alert["alert_type"],
        title=alert["title"],
    )
    if not session.table_exists(EVENTS_TABLE):
        return state
    latest = session.rows(
        f"select sequence, status, assigned_to, note, actor, occurred_at from {EVENTS_TABLE}"
        " where alert_id = %s order by sequence desc limit 1",
        (alert_id,),
    )
    if not latest:
        return state
    event = latest[0]
    return replace(
        state,
        status=event["status"],
        assigned_to=event["assigned_to"],
        note=event["note"],
        updated_at=event["occurred_at"],
        updated_by=event["actor"],
        version=event["sequence"],
    )


def may_act(actor: Actor, state: AlertState, owner: CrmUser | None) -> bool:
    """Whether ``actor`` may change this alert (see the module docstring)."""
    if actor.role in LEADERSHIP_ROLES:
        return True
    if actor.user_id is None:
        return False
    if actor.user_id in (state.owner_user_id, state.assigned_to):
        return True
    if owner is not None and owner.manager_user_id == actor.user_id:
        return True
    return state.owner_user_id is None and actor.role == "manager"


def may_assign_others(actor: Actor, owner: CrmUser | None) -> bool:
    if actor.role in LEADERSHIP_ROLES:
        return True
    manager = owner.manager_user_id if owner is not None else None
    return actor.user_id is not None and manager == actor.user_id


def _check_input(status: str | None, note: str | None, actor: Actor) -> None:
    if status is not None and status not in STATUSES:
        raise LifecycleError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if note is not None and len(note) > NOTE_LIMIT:
        raise LifecycleError(f"note is {len(note)} characters long; at most {NOTE_LIMIT}")
    if actor.source not in SOURCES:
        raise LifecycleError(f"source {actor.source!r} is not one of {', '.join(SOURCES)}")


def plan_change(
    state: AlertState,
    actor: Actor,
    owner: CrmUser | None,
    *,
    status: str | None,
    assigned_to: str | None,
    note: str | None,
) -> tuple[str, str, str | None] | None:
    """(event type, new status, new assignee) for the change, None when it changes nothing;
    raises when the rules forbid it."""
    _check_input(status, note, actor)
    if not may_act(actor, state, owner):
        raise NotAllowed(
            f"{actor.name} may not change alert {state.alert_id}: only its owner, the owner's"
            " manager, the assignee or leadership may"
        )
    new_status = status or state.status
    new_assignee = assigned_to if assigned_to is not None else state.assigned_to
    if new_status == state.status and new_assignee == state.assigned_to and note is None:
        return None
    if state.is_final:
        raise InvalidTransition(f"alert {state.alert_id} is already {state.status}")
    if new_status != state.status and new_status not in TRANSITIONS[state.status]:
        raise InvalidTransition(
            f"alert {state.alert_id} cannot go from {state.status} to {new_status}"
            f" (allowed: {', '.join(TRANSITIONS[state.status])})"
        )
    if (
        new_assignee != state.assigned_to
        and new_assignee != actor.user_id
        and not may_assign_others(actor, owner)
    ):
        raise NotAllowed(
            f"{actor.name} may assign alert {state.alert_id} only to themselves; the owner's"
            " manager or leadership may assign it to someone else"
        )
    if new_status != state.status:
        return new_status, new_status, new_assignee
    return ("assigned" if new_assignee != state.assigned_to else "noted"), new_status, new_assignee


def _append(
    session: Session,
    state: AlertState,
    event: tuple[str, str, str | None],
    actor: Actor,
    note: str | None,
    now: datetime,
) -> bool:
    """Insert the event as the alert's next one; False when another change took that place."""
    event_type, status, assignee = event
    inserted = session.execute(
        f"insert into {EVENTS_TABLE} (alert_id, sequence, event_type, from_status, status,"
        " assigned_to, note, actor, actor_user_id, source, occurred_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict do nothing returning alert_id",
        (
            state.alert_id,
            state.version + 1,
            event_type,
            state.status,
            status,
            assignee,
            note,
            actor.name,
            actor.user_id,
            actor.source,
            now,
        ),
    )
    return bool(inserted)


def change_alert_in(
    session: Session,
    alert_id: str,
    actor: Actor,
    *,
    status: str | None = None,
    assigned_to: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> tuple[AlertState, bool]:
    """``change_alert`` on an open session: the new state and whether anything changed."""
    ensure_events(session)
    note = note.strip() or None if note is not None else None
    for _ in range(3):  # a concurrent change took the next sequence number: read again
        state = current_state(session, alert_id)
        owner = crm_user(session, state.owner_user_id) if state.owner_user_id else None
        new_assignee = assigned_to is not None and assigned_to != state.assigned_to
        if new_assignee and crm_user(session, str(assigned_to)) is None:
            raise UnknownAlert(f"unknown CRM user {assigned_to!r} to assign to")
        event = plan_change(state, actor, owner, status=status, assigned_to=assigned_to, note=note)
        if event is None:
            return state, False
        if _append(session, state, event, actor, note, now or utc_now()):
            return current_state(session, alert_id), True
    raise InvalidTransition(f"alert {alert_id} keeps changing under us; try again")


def change_alert(
    settings: Settings,
    alert_id: str,
    actor: Actor,
    *,
    status: str | None = None,
    assigned_to: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> AlertState:
    """Move an alert to ``status`` and/or assign it, appending one event; returns the new
    state (unchanged, with no event, when the request changes nothing)."""
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        return change_alert_in(
            session, alert_id, actor, status=status, assigned_to=assigned_to, note=note, now=now
        )[0]
