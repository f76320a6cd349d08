"""Order events: the customer's live lifetime revenue pushed online, the LTV-milestone rule,
and the end of the customer's cart-abandonment timer (an order is a purchase)."""

from __future__ import annotations

from events import store as tables
from events.handlers.context import Context, first, stamp
from events.inbox import InboxEvent
from events.rules import make_alert, milestone_crossed, money, next_batch_day
from notifier.messages import Alert

CART_TIMER = "cart_abandonment"

#: The customer's lifetime revenue from raw orders, each order at its latest version.
LIFETIME_REVENUE_SQL = (
    "select coalesce(sum(order_total), 0) from (select order_total, row_number() "
    "over (partition by order_id order by _loaded_at desc) as version "
    "from raw_commerce.orders where customer_id = %s) as orders where version = 1"
)


def handle_order(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    customer = str(data["customer_id"])
    total = float(data["order_total"])
    with ctx.read() as session:
        lifetime = float(first(session, LIFETIME_REVENUE_SQL, (int(customer),)) or 0)
    ctx.write(lambda session: tables.cancel_timers(session, CART_TIMER, customer, now))
    ctx.push(
        "customer",
        customer,
        {
            "last_event_type": "order",
            "last_event_at": stamp(data["ordered_at"]),
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
