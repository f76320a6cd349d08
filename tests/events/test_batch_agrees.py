"""The batch after the event: the daily run's dbt alert models compute the same alert id for
the cart the worker alerted on, and the notifier's batch delivery sends nothing twice (the
stand-in Slack holds one message)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import httpx

from events.rules import alert_id, cart_window_day
from notifier.delivery import deliver_pending
from tests.events.client import post_event
from tests.events.conftest import Live
from tests.events.test_worker import cart, customer_session, query
from tests.notifier.conftest import bot_config

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
