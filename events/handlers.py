"""What the worker does with one accepted event, per source: streaming features to Feast,
the champion's score for the entity, timers, and the alerts the batch's rules raise for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from events import store as tables
from events.features import StreamFeatures
from events.inbox import Inbox, InboxEvent
from events.rules import (
    PRODUCT_INTENT_DAYS,
    PRODUCT_INTENT_MIN_SCORE,
    PRODUCT_INTENT_POINTS,
    alert_vars,
    cart_window_day,
    make_alert,
    milestone_crossed,
    money,
    next_batch_day,
)
from events.scoring import EntityScorer
from notifier.messages import Alert
from notifier.people import crm_user
from warehouse.adapters import Session

CART_TIMER = "cart_abandonment"
INTENT_TIMER = "product_intent"
CLOSED_STAGES = ("closed won", "closed lost", "closed_won", "closed_lost", "won", "lost")


Write = Callable[[Session], None]


@dataclass
class Context:
    """What handlers share during one worker step. Their writes and feature pushes are
    collected and applied once per step (one commit, one push per entity), not per event."""

    inbox: Inbox
    features: StreamFeatures | None
    scorer: EntityScorer | None
    clock: Callable[[], datetime]
    writes: list[Write] = field(default_factory=list)
    pushes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def read(self) -> Any:
        return self.inbox.reader()

    def write(self, change: Write) -> None:
        self.writes.append(change)

    def push(self, entity: str, entity_id: str, values: dict[str, Any]) -> None:
        """Streamed features for the step's push (a later event of the entity wins)."""
        self.pushes.setdefault((entity, entity_id), {}).update(values)

    def apply_writes(self) -> None:
        if self.writes:
            with self.inbox.session() as session:
                for change in self.writes:
                    change(session)
        self.writes = []

    def apply_pushes(self) -> int:
        pushed = 0
        if self.features is not None and self.pushes:
            pushed = self.features.push_many(self.pushes, self.clock())
        self.pushes = {}
        return pushed


def _first(session: Session, sql: str, params: tuple[Any, ...]) -> Any:
    rows = session.execute(sql, params)
    return rows[0][0] if rows else None


def _stamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


# -- orders ------------------------------------------------------------------------------------


def handle_order(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    customer = str(data["customer_id"])
    total = float(data["order_total"])
    with ctx.read() as session:
        lifetime = float(
            _first(
                session,
                "select coalesce(sum(order_total), 0) from (select order_total, row_number() "
                "over (partition by order_id order by _loaded_at desc) as version "
                "from raw_commerce.orders where customer_id = %s) as orders where version = 1",
                (int(customer),),
            )
            or 0
        )
    ctx.write(lambda session: tables.cancel_timers(session, CART_TIMER, customer, now))
    ctx.push(
        "customer",
        customer,
        {
            "last_event_type": "order",
            "last_event_at": _stamp(data["ordered_at"]),
            "last_order_total": total,
            "live_lifetime_revenue": lifetime,
            "open_cart_value": 0.0,
        },
    )
    milestone = milestone_crossed(lifetime - total, lifetime)
    if milestone is None:
        return []
    return [
        make_alert(
            alert_type="ltv_milestone",
            entity_type="customer",
            entity_id=customer,
            window_key=f"milestone-{milestone:.0f}",
            severity="low",
            entity_name=f"Customer {customer}",
            title=f"LTV Milestone: Customer {customer} passed {money(milestone)}",
            details=[f"Lifetime revenue: {money(lifetime)}", f"Latest order: {money(total)}"],
            factors=[f"Lifetime revenue crossed {money(milestone)} with this order"],
            actions=["Send a thank-you with a loyalty reward", "Invite to the VIP programme"],
            as_of=next_batch_day(now),
            created_at=now,
        )
    ]


# -- cart --------------------------------------------------------------------------------------


def _customer_of_session(session: Session, session_id: str) -> str | None:
    found = _first(
        session,
        "select customer_id from raw_commerce.web_sessions where session_id = %s "
        "and customer_id is not null order by _loaded_at desc limit 1",
        (session_id,),
    )
    return None if found is None else str(found)


def intent_score(events: list[tuple[str, datetime]]) -> int:
    """The product-intent score (0-100) of one customer's cart events on one product."""
    score = 0
    for event_type, _ in sorted(events, key=lambda pair: pair[1]):
        if event_type == "purchase":
            score = 0
            continue
        score = max(0, min(100, score + PRODUCT_INTENT_POINTS.get(event_type, 0)))
    return score


def handle_cart(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    kind = str(data.get("event_type") or "").strip().lower()
    occurred = _stamp(data["occurred_at"])
    assert occurred is not None
    with ctx.read() as session:
        customer = _customer_of_session(session, str(data["session_id"]))
        if customer is None:
            return []
        product = data.get("product_id")
        history: list[tuple[str, datetime]] = []
        if product:
            history = [
                (str(row[0]).strip().lower(), row[1])
                for row in session.execute(
                    "select cart.event_type, cart.occurred_at "
                    "from raw_commerce.cart_events as cart inner join raw_commerce.web_sessions "
                    "as web on cart.session_id = web.session_id where web.customer_id = %s "
                    "and cart.product_id = %s and cart.occurred_at >= %s",
                    (int(customer), product, occurred - timedelta(days=PRODUCT_INTENT_DAYS)),
                )
            ]
    value = float(data.get("quantity") or 1) * float(data.get("price") or 0)
    hours = alert_vars().cart_abandonment_hours
    if kind == "purchase":
        ctx.write(lambda session: tables.cancel_timers(session, CART_TIMER, customer, now))
        ctx.write(lambda session: tables.cancel_timers(session, INTENT_TIMER, customer, now))
    elif kind == "cart_add":
        # The latest add moves the timer; the cart itself is read from raw when it fires, so
        # running an event twice changes nothing.
        payload = json.dumps({"customer_id": customer, "last_add_at": occurred.isoformat()})
        due = occurred + timedelta(hours=hours)
        key = f"{CART_TIMER}|{customer}"
        ctx.write(
            lambda session: tables.set_timer(
                session, CART_TIMER, customer, key, due, payload, now, only_later=True
            )
        )
    score = intent_score(history)
    if product and kind != "purchase" and score >= PRODUCT_INTENT_MIN_SCORE:
        intent_key = f"{INTENT_TIMER}|{customer}|{product}|{occurred.date()}"
        intent = json.dumps({"customer_id": customer, "product_id": product, "score": score})
        ctx.write(
            lambda session: tables.set_timer(
                session, INTENT_TIMER, customer, intent_key, occurred, intent, now, restart=False
            )
        )
    ctx.push(
        "customer",
        customer,
        {
            "last_event_type": f"cart:{kind}",
            "last_event_at": occurred,
            "open_cart_value": 0.0 if kind == "purchase" else value,
        },
    )
    return []


def _purchased_since(session: Session, customer: str, since: datetime) -> bool:
    purchases = _first(
        session,
        "select count(*) from raw_commerce.cart_events as cart inner join "
        "raw_commerce.web_sessions as web on cart.session_id = web.session_id "
        "where web.customer_id = %s and lower(cart.event_type) = 'purchase' "
        "and cart.occurred_at >= %s",
        (int(customer), since),
    )
    orders = _first(
        session,
        "select count(*) from raw_commerce.orders where customer_id = %s and ordered_at >= %s",
        (int(customer), since),
    )
    return bool(purchases) or bool(orders)


def fire_timer(ctx: Context, timer: dict[str, Any]) -> list[Alert]:
    """The alert a due timer raises (none when a purchase came after all)."""
    payload = json.loads(timer["payload"])
    customer = str(payload["customer_id"])
    now = ctx.clock()
    if timer["kind"] == CART_TIMER:
        last_add = datetime.fromisoformat(payload["last_add_at"])
        hours = alert_vars().cart_abandonment_hours
        day = cart_window_day(last_add, hours)
        window_end = datetime.combine(day, datetime.min.time()) - timedelta(hours=hours)
        with ctx.read() as session:
            if _purchased_since(session, customer, last_add):
                return []
            adds, value = session.execute(
                "select count(*), coalesce(sum(coalesce(cart.quantity, 1) * "
                "coalesce(cart.price, 0)), 0) from raw_commerce.cart_events as cart "
                "inner join raw_commerce.web_sessions as web on cart.session_id = "
                "web.session_id where web.customer_id = %s and lower(cart.event_type) = "
                "'cart_add' and cart.occurred_at >= %s and cart.occurred_at < %s",
                (int(customer), window_end - timedelta(hours=24), window_end),
            )[0]
        payload = {**payload, "adds": int(adds), "value": float(value)}
        return [
            make_alert(
                alert_type="cart_abandonment",
                entity_type="customer",
                entity_id=customer,
                window_key=day.isoformat(),
                severity="medium",
                entity_name=f"Customer {customer}",
                title=f"Cart Abandoned: Customer {customer} ({money(payload['value'])})",
                details=[
                    f"Cart value: {money(payload['value'])}",
                    f"Items added: {payload['adds']}",
                    f"Last cart add: {last_add} UTC",
                ],
                factors=[f"Added to cart, no purchase within {hours} hours"],
                actions=[
                    "Send a cart reminder with the items left behind",
                    "Offer free shipping or a small discount if the cart is large",
                ],
                as_of=day,
                created_at=now,
            )
        ]
    product = str(payload["product_id"])
    with ctx.read() as session:
        if _purchased_since(session, customer, timer["due_at"]):
            return []
    return [
        make_alert(
            alert_type="product_intent",
            entity_type="customer",
            entity_id=customer,
            window_key=f"{product}-{timer['due_at']:%Y-%m-%d}",
            severity="medium",
            entity_name=f"Customer {customer}",
            title=f"Product Intent: Customer {customer} on {product} (score {payload['score']})",
            details=[f"Intent score: {payload['score']}/100", f"Product: {product}"],
            factors=[f"Intent score at or above {PRODUCT_INTENT_MIN_SCORE}, no purchase yet"],
            actions=[
                "Send a personalised offer for the product",
                "Show it first on the next visit",
            ],
            as_of=timer["due_at"].date(),
            created_at=now,
        )
    ]


# -- CRM ---------------------------------------------------------------------------------------


def _is_open(data: dict[str, Any]) -> bool:
    stage = str(data.get("stage") or "").strip().lower()
    return data.get("closed_at") is None and stage not in CLOSED_STAGES


def handle_opportunity(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    opportunity = str(data["opportunity_id"])
    changes = {
        "amount": None if data.get("amount") is None else float(data["amount"]),
        "has_competitor": None if "competitor" not in data else data.get("competitor") is not None,
        "lead_source": data.get("lead_source"),
        "opportunity_type": data.get("opportunity_type"),
    }
    scored = None
    if ctx.scorer is not None:
        scored = ctx.scorer.score("deal_risk", opportunity, changes, now)
    risk = None if scored is None else round(float(scored["score"].iloc[0]) * 100, 1)
    ctx.push(
        "opportunity",
        opportunity,
        {
            "last_event_type": "crm_opportunity",
            "last_event_at": _stamp(data.get("updated_at")) or now,
            "stage": data.get("stage"),
            "amount": changes["amount"],
            "has_competitor": changes["has_competitor"],
            "live_risk_score": risk,
        },
    )
    if scored is None or risk is None:
        return []
    row = scored.iloc[0].to_dict()
    ctx.write(
        lambda session: tables.record_score(session, "crm_opportunity", event.event_id, row, now)
    )
    settings = alert_vars()
    if risk <= settings.deal_risk_threshold or not _is_open(data):
        return []
    with ctx.read() as session:
        before = None
        if session.table_exists("marts.deal_risk_scores"):
            before = _first(
                session,
                "select risk_score from marts.deal_risk_scores where opportunity_id = %s",
                (opportunity,),
            )
        if before is not None and float(before) > settings.deal_risk_threshold:
            return []  # the batch alerted it already; the event did not cross the line
        owner = crm_user(session, str(data["owner_user_id"])) if data.get("owner_user_id") else None
        manager = (
            crm_user(session, owner.manager_user_id) if owner and owner.manager_user_id else None
        )
    severity = "critical" if risk >= settings.deal_risk_critical else "high"
    amount = f" ({money(changes['amount'])})" if changes["amount"] is not None else ""
    return [
        make_alert(
            alert_type="high_risk_deal",
            entity_type="opportunity",
            entity_id=opportunity,
            window_key=next_batch_day(now).isoformat(),
            severity=severity,
            entity_name=opportunity,
            title=f"High-Risk Deal: {opportunity}{amount}",
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


def handle_account(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    ctx.push(
        "account",
        str(data["account_id"]),
        {
            "last_event_type": "crm_account",
            "last_event_at": _stamp(data.get("updated_at")) or now,
            "owner_user_id": data.get("csm_user_id") or data.get("owner_user_id"),
        },
    )
    return []


def handle_usage(ctx: Context, event: InboxEvent) -> list[Alert]:
    data = event.data
    account = str(data["account_id"])
    occurred = _stamp(data["occurred_at"])
    assert occurred is not None
    day = datetime.combine(occurred.date(), datetime.min.time())
    with ctx.read() as session:
        today = _first(
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
    return []


HANDLERS: dict[str, Callable[[Context, InboxEvent], list[Alert]]] = {
    "order": handle_order,
    "cart": handle_cart,
    "crm_opportunity": handle_opportunity,
    "crm_account": handle_account,
    "product_usage": handle_usage,
}
