"""CRM users as the notifier needs them: who owns an alert, who manages whom, who a Slack
member or an email address is. Read from the CRM users staging model (its slack_user_id links a
Slack click to a CRM user); an absent table reads as no users, so a shop without a CRM still
runs the notifier."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.adapters import Session

USERS_TABLE = "staging.stg_crm__users"
#: CRM roles that see and may act on every alert; the CLI's operator acts as ``admin``.
LEADERSHIP_ROLES = ("admin", "cro")
#: CRM roles that receive the weekly executive report (the CRO and sales leadership).
EXECUTIVE_REPORT_ROLES = ("cro", "vp_sales", "manager")


@dataclass(frozen=True)
class CrmUser:
    user_id: str
    full_name: str | None
    email: str | None
    role: str | None
    manager_user_id: str | None
    slack_user_id: str | None
    is_active: bool = True


_COLUMNS = (
    "user_id, full_name, email, user_role, manager_user_id, slack_user_id,"
    " coalesce(is_active, true)"
)


def _users(session: Session, where: str = "", params: tuple[object, ...] = ()) -> list[CrmUser]:
    if not session.table_exists(USERS_TABLE):
        return []
    rows = session.execute(f"select {_COLUMNS} from {USERS_TABLE} {where}", params)
    return [CrmUser(*row) for row in rows]


def crm_user(session: Session, user_id: str) -> CrmUser | None:
    found = _users(session, "where user_id = %s", (user_id,))
    return found[0] if found else None


def crm_user_by_slack_id(session: Session, slack_user_id: str) -> CrmUser | None:
    """The CRM user whose ``slack_user_id`` is this Slack member (active ones first)."""
    found = _users(
        session,
        "where slack_user_id = %s order by coalesce(is_active, true) desc, user_id",
        (slack_user_id,),
    )
    return found[0] if found else None


def users_by_id(session: Session, user_ids: set[str]) -> dict[str, CrmUser]:
    if not user_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(user_ids))
    found = _users(session, f"where user_id in ({placeholders})", tuple(sorted(user_ids)))
    return {user.user_id: user for user in found}


def executive_recipients(session: Session) -> list[CrmUser]:
    """Active CRM users with an email whose role receives the executive report."""
    placeholders = ", ".join(["%s"] * len(EXECUTIVE_REPORT_ROLES))
    return _users(
        session,
        f"where user_role in ({placeholders}) and email is not null"
        " and coalesce(is_active, true) order by user_id",
        EXECUTIVE_REPORT_ROLES,
    )
