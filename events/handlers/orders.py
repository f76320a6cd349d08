"""Order events: the customer's live lifetime revenue pushed online, the LTV-milestone rule,
and the end of the customer's cart-abandonment timer (an order is a purchase)."""

from __future__ import annotations

from events.handlers.context import Context, stamp
from events.inbox import InboxEvent
from events.rules import make_alert, milestone_crossed, money, next_batch_day
from notifier.messages import Alert

CART_TIMER = "cart_abandonment"


def lifetime_revenue_sql(customers: int) -> str:
    """Lifetime revenue from raw orders (each order at its latest version) of ``customers``
    customers, one row per customer who has any."""
    marks = ", ".join(["%s"] * customers)
    return (
        "select customer_id, sum(order_total) from (select customer_id, order_total, "
        "row_number() over (partition by order_id order by _loaded_at desc) as version "
        f"from raw_commerce.orders where customer_id in ({marks})) as orders "
        "where version = 1 group by customer_id"
    )


def prepare_orders(ctx: Context, events: list[InboxEvent]) -> None:
    """The lifetime revenue of every customer of the step's orders, in one query."""
    customers = sorted({int(event.data["customer_id"]) for event in events})
    with ctx.read() as session:
        rows = session.execute(lifetime_revenue_sql(len(customers)), customers)
    found = {int(customer): float(total or 0) for customer, total in rows}
    for customer in customers:
        ctx.looked_up["lifetime", str(customer)] = found.get(customer, 0.0)


def handle_order(ctx: Context, event: InboxEvent) -> list[Alert]:
    data, now = event.data, ctx.clock()
    customer = str(data["customer_id"])
    total = float(data["order_total"])
    lifetime = ctx.looked_up.get(("lifetime", customer))
    if lifetime is None:
        with ctx.read() as session:
            rows = session.execute(lifetime_revenue_sql(1), (int(customer),))
        lifetime = float(rows[0][1] or 0) if rows else 0.0
    ctx.cancel_timers(CART_TIMER, customer)
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
