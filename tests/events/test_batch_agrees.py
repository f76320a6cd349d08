"""The batch after the event: the daily run's dbt alert models compute the same alert id for
the cart the worker alerted on, and the notifier's batch delivery sends nothing twice (the
stand-in Slack holds one message); the batch's product intent is the worker's score."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import httpx

from events.handlers import product_intent
from events.rules import alert_id, cart_window_day, next_batch_day
from notifier.delivery import deliver_pending
from tests.events.client import post_event
from tests.events.conftest import Live
from tests.events.test_worker import cart, customer_session, query
from tests.notifier.conftest import bot_config
from warehouse.adapters import adapter_for

#: What the daily run rebuilds that the cart alert reads (staging is a table here).
BATCH_MODELS = " ".join(
    [
        "stg_commerce__cart_events",
        "int_as_of_dates",
        "path:models/intermediate/alerts",
        "alerts",
    ]
)


def test_the_batch_computes_the_same_alert_id_and_sends_nothing_twice(
    live: Live, tmp_path: Path
) -> None:
    session_id, customer = customer_session(live, 3)
    added = live.clock.now.replace(microsecond=0) - timedelta(minutes=2)
    with httpx.Client() as client:
        answer = post_event(
            client, live.url, "cart", "batch-1", cart(660_001, session_id, "cart_add", added)
        )
    assert answer.status_code == 202
    live.worker.step()
    live.clock.now = added + timedelta(hours=2, minutes=5)
    fired = live.worker.step()
    day = cart_window_day(added, 2)
    expected = alert_id("cart_abandonment", "customer", str(customer), day.isoformat())
    assert [alert.alert_id for alert in fired.alerts] == [expected]
    assert len(live.alert_messages(expected)) == 1

    # the daily run of that day: the dbt alert models, then the notifier's batch delivery
    live.run_batch(BATCH_MODELS, day, tmp_path / "dbt_target")
    rows = query(
        live,
        "select alert_id, recipient from marts.alerts where alert_type = 'cart_abandonment' "
        "and entity_id = %s",
        (str(customer),),
    )
    assert rows == [(expected, "#customer-retention")]
    week_later = datetime.combine(day + timedelta(days=7), time(6))  # the weekly digest is due
    report = deliver_pending(live.settings, config=bot_config(live.slack), now=week_later)
    assert report.alerts_considered >= 1
    assert report.already_delivered >= 1
    assert len(live.alert_messages(expected)) == 1


def test_the_batch_scores_product_intent_as_the_worker_does(live: Live, tmp_path: Path) -> None:
    """One intent rule: the worker's score of a product (at the as-of date's midnight) is the
    one ``marts.customer_product_intent`` computes from the same events."""
    session_id, customer = customer_session(live, 20)
    first_add = live.clock.now.replace(microsecond=0) - timedelta(days=2, hours=3)
    moments = [first_add, first_add + timedelta(hours=20), first_add + timedelta(hours=26)]
    with httpx.Client() as client:
        for number, moment in enumerate(moments):
            event = cart(661_000 + number, session_id, "cart_add", moment, "P-INTENT")
            answer = post_event(client, live.url, "cart", f"intent-batch-{number}", event)
            assert answer.status_code == 202, answer.text
    live.worker.step()
    day = next_batch_day(moments[-1])
    midnight = datetime.combine(day, time())
    with adapter_for(live.settings).session() as session:
        worker_score = product_intent(session, str(customer), "P-INTENT", midnight)
    assert 0 < worker_score < 90  # decayed: three adds of 30, the oldest more than a day old

    live.run_batch(
        "stg_commerce__cart_events int_customer_intent_signals customer_product_intent",
        day,
        tmp_path / "dbt_target",
    )
    rows = query(
        live,
        "select intent_score, cart_add_count from marts.customer_product_intent "
        "where customer_id = %s and intent_level = 'product' and item_key = 'P-INTENT'",
        (customer,),
    )
    assert [(float(score), count) for score, count in rows] == [(worker_score, 3)]
