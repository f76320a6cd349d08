"""Each trigger reads its mart of the latest run; an absent mart matches nobody."""

from __future__ import annotations

from datetime import date

from automations.rules import Rule
from automations.triggers import matches
from warehouse import adapter_for
from warehouse.settings import Settings


def _rule(trigger: str, **params: object) -> Rule:
    return Rule("r", True, 1, trigger, "update_segment", {"segment": "s", **params})


def test_cart_abandonment_and_journey_milestone_triggers(duckdb_settings: Settings) -> None:
    with adapter_for(duckdb_settings).session() as session:
        session.ensure_schema("marts")
        assert matches(session, _rule("cart_abandonment")) == []
        session.execute(
            "create table marts.alerts (alert_type varchar, entity_type varchar, entity_id varchar,"
            " metric_value double, window_key varchar, as_of_date date)"
        )
        session.execute(
            "insert into marts.alerts values "
            "('cart_abandonment', 'customer', '5', 42.5, '2026-11-22', %s),"
            "('cart_abandonment', 'customer', '6', 10.0, '2026-11-21', %s),"
            "('churn_risk', 'customer', '7', 0.9, '2026-11-22', %s)",
            (date(2026, 11, 22), date(2026, 11, 21), date(2026, 11, 22)),
        )
        session.execute(
            "create table marts.customer_journey (customer_id bigint, journey_score integer,"
            " next_best_action varchar, next_milestone varchar)"
        )
        session.execute(
            "insert into marts.customer_journey values (1, 80, 'upsell_offer', 'ready_for_upsell'),"
            " (2, 30, 'win_back_offer', 'at_risk_of_churn'), (3, 10, 'welcome_series', null)"
        )
        carts = matches(session, _rule("cart_abandonment"))
        ready = matches(session, _rule("journey_milestone", milestone="ready_for_upsell"))

    assert [(match.customer_id, match.reason) for match in carts] == [
        (5, "cart of 42.50 abandoned (2026-11-22)")
    ]
    assert [(match.customer_id, match.reason) for match in ready] == [
        (1, "next milestone ready_for_upsell (next best action upsell_offer)")
    ]
