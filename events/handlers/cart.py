"""Cart events and the timers they start: cart abandonment (due hours after the latest cart add
with no purchase) and the product-intent trigger (the batch's intent score of the product at or
above ``intent_alert_threshold``), fired by the worker's clock, not the next day's batch."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from events import store as tables
from events.handlers.context import Context, first, stamp
from events.handlers.orders import CART_TIMER
from events.inbox import InboxEvent
from events.rules import (
    PRODUCT_SIGNALS,
    alert_vars,
    cart_window_day,
    intent_rule,
    make_alert,
    money,
)
from notifier.messages import Alert
from warehouse.adapters import Session

INTENT_TIMER = "product_intent"


def _customer_of_session(session: Session, session_id: str) -> str | None:
    found = first(
        session,
        "select customer_id from raw_commerce.web_sessions where session_id = %s "
        "and customer_id is not null order by _loaded_at desc limit 1",
        (session_id,),
    )
    return None if found is None else str(found)


#: One product signal of a customer in a time range, each event once (a row loaded twice
#: counts once, as staging keeps one); the same query for every table of PRODUCT_SIGNALS.
_SIGNAL_QUERY = (
    "select distinct '{kind}', signal.{id_column}, signal.occurred_at from {table} as signal "
    "inner join raw_commerce.web_sessions as visit on signal.session_id = visit.session_id "
    "where visit.customer_id = %s and trim(signal.product_id) = %s "
    "and lower(trim(signal.event_type)) = '{kind}' "
    "and signal.occurred_at >= %s and signal.occurred_at <= %s"
)
_PRODUCT_SIGNALS_QUERY = " union all ".join(
    _SIGNAL_QUERY.format(kind=kind, table=table, id_column=id_column)
    for kind, (table, id_column) in PRODUCT_SIGNALS.items()
)


def product_intent(session: Session, customer: str, product: str, at: datetime) -> float:
    """The customer's intent score for one product at ``at``: the batch's rule
    (:class:`events.rules.IntentRule`) over the product views and cart adds in raw."""
    rule = intent_rule()
    window = (int(customer), product, at - timedelta(days=rule.lookback_days), at)
    signals = [
        (str(kind), occurred)
        for kind, _event_id, occurred in session.execute(
            _PRODUCT_SIGNALS_QUERY, window * len(PRODUCT_SIGNALS)
        )
    ]
    last_purchase = first(
        session,
        "select max(orders.ordered_at) from raw_commerce.orders as orders inner join "
        "raw_commerce.order_items as items on orders.order_id = items.order_id "
        "where orders.customer_id = %s and trim(items.product_id) = %s "
        "and orders.ordered_at <= %s",
        (int(customer), product, at),
    )
    return rule.score(signals, at, last_purchase)


def handle_cart(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    kind = str(data.get("event_type") or "").strip().lower()
    occurred = stamp(data["occurred_at"])
    assert occurred is not None
    product = str(data.get("product_id") or "").strip() or None
    with ctx.read() as session:
        customer = _customer_of_session(session, str(data["session_id"]))
        if customer is None:
            return []
        score = (
            product_intent(session, customer, product, occurred)
            if product and kind == "cart_add"
            else None
        )
    value = float(data.get("quantity") or 1) * float(data.get("price") or 0)
    hours = alert_vars().cart_abandonment_hours
    if kind == "purchase":
        ctx.cancel_timers(CART_TIMER, customer)
        ctx.cancel_timers(INTENT_TIMER, customer)
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
    if score is not None and score >= intent_rule().threshold:
        # The batch's window: the item and the day of its latest signal (this cart add).
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
    purchases = first(
        session,
        "select count(*) from raw_commerce.cart_events as cart inner join "
        "raw_commerce.web_sessions as web on cart.session_id = web.session_id "
        "where web.customer_id = %s and lower(cart.event_type) = 'purchase' "
        "and cart.occurred_at >= %s",
        (int(customer), since),
    )
    orders = first(
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
    product, score = str(payload["product_id"]), float(payload["score"])
    with ctx.read() as session:
        if _purchased_since(session, customer, timer["due_at"]):
            return []
    return [
        make_alert(
            alert_type="product_intent",
            entity_type="customer",
            entity_id=customer,
            window_key=f"product:{product}@{timer['due_at']:%Y-%m-%d}",
            severity="medium",
            entity_name=f"Customer {customer}",
            title=f"Product Intent: Customer {customer} on {product} (score {score:g})",
            details=[f"Intent score: {score:g}/100", f"Product: {product}"],
            factors=[f"Intent score at or above {intent_rule().threshold:g}, no purchase yet"],
            actions=[
                "Send a personalised offer for the product",
                "Show it first on the next visit",
            ],
            as_of=timer["due_at"].date(),
            created_at=now,
        )
    ]
