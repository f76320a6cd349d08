"""The worker on a copy of the built warehouse, events sent over real HTTP, alerts received by
the stand-in Slack: an order crossing an LTV milestone, cart abandonment after two hours (the
test's clock), the product-intent trigger, a deal update scored by the champion."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from events.rules import alert_id, cart_window_day
from tests.events.client import post_event
from tests.events.conftest import Live
from warehouse import adapter_for


def query(live: Live, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with adapter_for(live.settings).session() as session:
        return session.execute(sql, params)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_order_crossing_an_ltv_milestone_alerts_once_and_updates_the_online_store(
    live: Live,
) -> None:
    customer, lifetime = query(
        live,
        "select customer_id, sum(order_total) from raw_commerce.orders group by customer_id "
        "having sum(order_total) < 900 order by sum(order_total) desc limit 1",
    )[0]
    order = {
        "order_id": 990_000_001,
        "customer_id": int(customer),
        "ordered_at": stamp(live.clock.now - timedelta(minutes=5)),
        "order_total": "150.00",
    }
    with httpx.Client() as client:
        assert post_event(client, live.url, "order", "ltv-1", order).status_code == 202
        result = live.worker.step()
        assert result.processed == 1
        expected = alert_id("ltv_milestone", "customer", str(customer), "milestone-1000")
        assert [alert.alert_id for alert in result.alerts] == [expected]
        assert len(live.alert_messages(expected)) == 1
        assert live.alert_messages(expected)[0]["channel"] == "#customer-loyalty"
        # again: the event, the worker, a repeat of the event id — nothing twice
        again = post_event(client, live.url, "order", "ltv-1", order, timestamp=1)
        assert again.status_code == 401  # a signature outside the window
        repeat = post_event(
            client, live.url, "order", "ltv-1", order, timestamp=int(datetime.now().timestamp()) - 3
        )
        assert repeat.status_code == 200
    assert live.worker.step().processed == 0
    assert len(live.alert_messages(expected)) == 1
    assert query(live, "select status from ops.event_inbox where event_id = 'ltv-1'") == [("done",)]
    online = live.worker.context.features.read("customer", str(customer))  # type: ignore[union-attr]
    assert online["last_order_total"] == 150.0
    assert online["live_lifetime_revenue"] == float(lifetime) + 150.0


def customer_session(live: Live, offset: int = 0) -> tuple[str, int]:
    session_id, customer = query(
        live,
        "select session_id, customer_id from raw_commerce.web_sessions "
        "where customer_id is not null order by session_id limit 1 offset %s",
        (offset,),
    )[0]
    return str(session_id), int(customer)


def cart(
    event_id: int, session_id: str, kind: str, at: datetime, product: str = "P-1"
) -> dict[str, Any]:
    return {
        "cart_event_id": event_id,
        "session_id": session_id,
        "event_type": kind,
        "product_id": product,
        "quantity": 1,
        "price": "80.00",
        "occurred_at": stamp(at),
    }


def test_cart_abandonment_fires_two_hours_after_the_last_add_without_a_purchase(live: Live) -> None:
    abandoned_session, abandoned = customer_session(live, 0)
    bought_session, _ = customer_session(live, 50)
    added = live.clock.now - timedelta(minutes=1)
    with httpx.Client() as client:
        for number, (session_id, kind, product) in enumerate(
            [
                (abandoned_session, "cart_add", "P-1"),
                (bought_session, "cart_add", "P-2"),
                (bought_session, "purchase", "P-2"),
            ]
        ):
            answer = post_event(
                client,
                live.url,
                "cart",
                f"cart-{number}",
                cart(880_000 + number, session_id, kind, added, product),
            )
            assert answer.status_code == 202, answer.text
    assert live.worker.step().processed == 3
    live.clock.now = added + timedelta(hours=1, minutes=59)
    assert live.worker.step().alerts == []
    live.clock.now = added + timedelta(hours=2, minutes=1)
    fired = live.worker.step()
    expected = alert_id(
        "cart_abandonment",
        "customer",
        str(abandoned),
        cart_window_day(added.replace(microsecond=0), 2).isoformat(),
    )
    assert [alert.alert_id for alert in fired.alerts] == [expected]
    assert [m["channel"] for m in live.alert_messages(expected)] == ["#customer-retention"]
    live.clock.now += timedelta(hours=5)
    assert live.worker.step().alerts == []  # a timer fires once


def test_product_intent_of_70_or_more_fires_once(live: Live) -> None:
    session_id, customer = customer_session(live, 10)
    at = live.clock.now - timedelta(minutes=10)
    # the batch's rule: cart adds 30 each (a remove is not a signal): 30, 30, 60, 90
    kinds = ["cart_add", "cart_remove", "cart_add", "cart_add"]
    with httpx.Client() as client:
        for number, kind in enumerate(kinds):
            event = cart(770_000 + number, session_id, kind, at + timedelta(minutes=number), "P-9")
            assert (
                post_event(client, live.url, "cart", f"intent-{number}", event).status_code == 202
            )
    fired = live.worker.step()
    intents = [alert for alert in fired.alerts if alert.alert_type == "product_intent"]
    assert [alert.entity_id for alert in intents] == [str(customer)]
    assert "score 90" in intents[0].title
    assert len(live.alert_messages(intents[0].alert_id)) == 1
    assert [a for a in live.worker.step().alerts if a.alert_type == "product_intent"] == []
