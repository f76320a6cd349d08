"""CRM account and product-usage events: the account's streamed features pushed online, the
account scored by the account-churn champion, and the batch's account churn-risk rule.

The champion scores the account's latest batch features (Feast's scoring frame, as the batch
scores them) with what the event determines exactly: a usage event today means the next daily
run finds the last usage one day before its as-of date (``days_since_last_usage`` = 1). The
alert is the batch's ``churn_risk`` alert of the account (dbt model
``int_alert_candidates_account_churn_risk``): the same id (window = the next run's as-of date),
severity (the score's band), owner (the active CSM, else the active account executive) and
copied manager (critical only), so the next run computes the same id and sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.handlers.context import Context, batch_value, first, stamp
from events.inbox import InboxEvent
from events.rules import make_alert, next_batch_day, risk_band
from notifier.messages import Alert
from notifier.people import CrmUser, crm_user

MODEL = "account_churn"
#: Bands in rising order: an event alerts only a band above the one the batch gave.
BAND_ORDER = ("low", "medium", "high", "critical")
BAND_ACTIONS = {
    "critical": "Schedule an executive business review this week",
    "high": "Call the main contact within 24 hours",
    "medium": "Review the account at the next check-in",
}


def handle_account(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    account = str(data["account_id"])
    ctx.push(
        "account",
        account,
        {
            "last_event_type": "crm_account",
            "last_event_at": stamp(data.get("updated_at")) or now,
            "owner_user_id": data.get("csm_user_id") or data.get("owner_user_id"),
        },
    )
    ctx.want_score(MODEL, account, {}, event, churn_risk_rule)
    return []


def handle_usage(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    account = str(data["account_id"])
    occurred = stamp(data["occurred_at"])
    assert occurred is not None
    day = datetime.combine(occurred.date(), datetime.min.time())
    with ctx.read() as session:
        today = first(
            session,
            "select count(*) from raw_product.usage_events where account_id = %s "
            "and occurred_at >= %s and occurred_at < %s",
            (account, day, day + timedelta(days=1)),
        )
    ctx.push(
        "account",
        account,
        {
            "last_event_type": "product_usage",
            "last_event_at": occurred,
            "usage_events_today": today,
        },
    )
    changes: dict[str, Any] = {}
    if occurred.date() == now.date():
        changes["days_since_last_usage"] = (next_batch_day(now) - occurred.date()).days
    ctx.want_score(MODEL, account, changes, event, churn_risk_rule)
    return []


def churn_risk_rule(ctx: Context, event: InboxEvent, scored: dict[str, Any] | None) -> list[Alert]:
    """The account's ``churn_risk`` alert when its live band is medium or above and above
    the band of the batch's latest score (a band the batch gave was alerted by the batch)."""
    if scored is None:
        return []
    account = str(event.data["account_id"])
    probability = float(scored["score"])
    band = risk_band(probability)
    if BAND_ORDER.index(band) < BAND_ORDER.index("medium"):
        return []
    with ctx.read() as session:
        before = batch_value(
            session, "marts.account_risk_scores", "churn_risk_band", "account_id", account
        )
        if before in BAND_ORDER and BAND_ORDER.index(before) >= BAND_ORDER.index(band):
            return []
        owner = _owner(session, account)
    now = ctx.clock()
    horizon = scored.get("horizon_days")
    within = (
        f" in the next {int(horizon)} days" if horizon is not None and _present(horizon) else ""
    )
    return [
        make_alert(
            alert_type="churn_risk",
            entity_type="account",
            entity_id=account,
            window_key=next_batch_day(now).isoformat(),
            severity=band,
            entity_name=owner.account_name,
            title=f"Churn Risk: {owner.account_name} ({band})",
            details=[
                f"Churn probability: {probability * 100:.0f}%{within}",
                f"Batch band before this event: {before or 'none'}",
            ],
            factors=_factors(scored),
            actions=[BAND_ACTIONS[band], "Confirm renewal intent and open issues"],
            as_of=next_batch_day(now),
            created_at=now,
            owner_user_id=owner.user_id,
            owner_name=owner.full_name,
            owner_slack=owner.slack_user_id,
            cc_slack=owner.manager_slack_user_id if band == "critical" else None,
        )
    ]


@dataclass(frozen=True)
class AccountOwner:
    """One row of ``int_account_owners``: the account, its responsible owner and manager."""

    account_name: str
    user_id: str | None
    full_name: str | None
    slack_user_id: str | None
    manager_slack_user_id: str | None


def _owner(session: Any, account: str) -> AccountOwner:
    """The account's responsible owner as ``int_account_owners`` derives it from the account's
    latest row: the active CSM, else the active account executive, each detail from the first
    of them that has it; the manager is theirs."""
    rows = session.execute(
        "select account_name, csm_user_id, owner_user_id from raw_crm.accounts "
        "where account_id = %s order by _loaded_at desc limit 1",
        (account,),
    )
    name, csm_id, executive_id = rows[0] if rows else (None, None, None)
    active: list[CrmUser] = []
    for user_id in (csm_id, executive_id):
        user = crm_user(session, str(user_id)) if user_id else None
        if user is not None and user.is_active:
            active.append(user)

    def detail(field: str) -> Any:
        return next((getattr(u, field) for u in active if getattr(u, field)), None)

    manager_id = detail("manager_user_id")
    manager = crm_user(session, str(manager_id)) if manager_id else None
    return AccountOwner(
        account_name=str(name or account),
        user_id=detail("user_id"),
        full_name=detail("full_name"),
        slack_user_id=detail("slack_user_id"),
        manager_slack_user_id=manager.slack_user_id if manager else None,
    )


def _factors(scored: dict[str, Any]) -> list[str]:
    """The model's top factors, written as the batch alert writes them."""
    factors = []
    for position in (1, 2, 3):
        name = scored.get(f"factor_{position}_name")
        contribution = scored.get(f"factor_{position}_contribution")
        if name is not None and contribution is not None and _present(contribution):
            factors.append(f"{str(name).replace('_', ' ')} ({float(contribution):+.2f})")
    return factors


def _present(value: Any) -> bool:
    """Not None and not NaN (a frame's missing value)."""
    return value is not None and value == value
