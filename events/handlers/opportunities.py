"""CRM opportunity events: the deal scored by the deal-risk champion on its latest batch
features with the values the update changed, pushed online, and the high-risk-deal rule."""

from __future__ import annotations

from typing import Any

from events.handlers.context import Context, batch_value, stamp
from events.inbox import InboxEvent
from events.rules import alert_vars, make_alert, money, next_batch_day
from notifier.messages import Alert
from notifier.people import crm_user

CLOSED_STAGES = ("closed won", "closed lost", "closed_won", "closed_lost", "won", "lost")


def _is_open(data: dict[str, Any]) -> bool:
    stage = str(data.get("stage") or "").strip().lower()
    return data.get("closed_at") is None and stage not in CLOSED_STAGES


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """The deal-risk features an opportunity update sets directly."""
    return {
        "amount": None if data.get("amount") is None else float(data["amount"]),
        "has_competitor": None if "competitor" not in data else data.get("competitor") is not None,
        "lead_source": data.get("lead_source"),
        "opportunity_type": data.get("opportunity_type"),
    }


def handle_opportunity(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    opportunity = str(data["opportunity_id"])
    changes = _changes(data)
    ctx.push(
        "opportunity",
        opportunity,
        {
            "last_event_type": "crm_opportunity",
            "last_event_at": stamp(data.get("updated_at")) or now,
            "stage": data.get("stage"),
            "amount": changes["amount"],
            "has_competitor": changes["has_competitor"],
            "live_risk_score": None,
        },
    )
    ctx.want_score("deal_risk", opportunity, changes, event, deal_risk_rule)
    return []


def deal_risk_rule(ctx: Context, event: InboxEvent, scored: dict[str, Any] | None) -> list[Alert]:
    """``high_risk_deal`` when the live risk passes the threshold and the batch's score had
    not (the batch alerted that one already)."""
    data, now = event.data, ctx.clock()
    opportunity = str(data["opportunity_id"])
    if scored is None:
        return []
    risk = round(float(scored["score"]) * 100, 1)
    ctx.push("opportunity", opportunity, {"live_risk_score": risk})
    settings = alert_vars()
    if risk <= settings.deal_risk_threshold or not _is_open(data):
        return []
    with ctx.read() as session:
        before = batch_value(
            session, "marts.deal_risk_scores", "risk_score", "opportunity_id", opportunity
        )
        if before is not None and float(before) > settings.deal_risk_threshold:
            return []  # the batch alerted it already; the event did not cross the line
        owner = crm_user(session, str(data["owner_user_id"])) if data.get("owner_user_id") else None
        manager = (
            crm_user(session, owner.manager_user_id) if owner and owner.manager_user_id else None
        )
    severity = "critical" if risk >= settings.deal_risk_critical else "high"
    amount = data.get("amount")
    shown = f" ({money(float(amount))})" if amount is not None else ""
    return [
        make_alert(
            alert_type="high_risk_deal",
            entity_type="opportunity",
            entity_id=opportunity,
            window_key=next_batch_day(now).isoformat(),
            severity=severity,
            entity_name=opportunity,
            title=f"High-Risk Deal: {opportunity}{shown}",
            details=[
                f"Risk Score: {risk:.0f}/100",
                f"Stage: {data.get('stage') or 'unknown'}",
                f"Owner: {owner.full_name if owner else 'unassigned'}",
            ],
            factors=[f"Risk rose above {settings.deal_risk_threshold:.0f} with this CRM update"],
            actions=[
                "Schedule executive engagement call",
                "Confirm budget, decision maker and timeline",
            ],
            as_of=next_batch_day(now),
            created_at=now,
            owner_user_id=owner.user_id if owner else None,
            owner_name=owner.full_name if owner else None,
            owner_slack=owner.slack_user_id if owner and owner.is_active else None,
            cc_slack=manager.slack_user_id if manager else None,
        )
    ]
