"""The worker's rules against the batch's: the alert id is the dbt macro's md5, the cart
window is the batch model's, thresholds come from dbt_project.yml and the seed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import yaml

from events.rules import (
    IntentRule,
    alert_id,
    alert_vars,
    cart_window_day,
    fallback_channels,
    intent_rule,
    make_alert,
    milestone_crossed,
    next_batch_day,
)
from warehouse.paths import DBT_PROJECT_DIR


def test_the_alert_id_is_the_dbt_macros_md5() -> None:
    expected = duckdb.sql(
        "select md5('cart_abandonment' || '|' || 'customer' || '|' || '42' || '|' || "
        "cast(date '2026-12-05' as varchar))"
    ).fetchone()
    assert expected is not None
    assert alert_id("cart_abandonment", "customer", "42", "2026-12-05") == expected[0]


def test_thresholds_are_the_dbt_vars_and_channels_the_seed() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    found = alert_vars()
    assert found.deal_risk_threshold == project["alert_deal_risk_threshold"]
    assert found.cart_abandonment_hours == project["alert_cart_abandonment_hours"]
    assert list(found.ltv_milestones) == project["alert_ltv_milestones"]
    assert fallback_channels()[("ltv_milestone", "customer")] == "#customer-loyalty"


def test_a_cart_add_belongs_to_the_run_whose_window_holds_it() -> None:
    # the batch counts adds in [as_of - 26 h, as_of - 2 h)
    assert cart_window_day(datetime(2026, 12, 4, 21, 59), 2) == date(2026, 12, 5)
    assert cart_window_day(datetime(2026, 12, 4, 22, 0), 2) == date(2026, 12, 6)
    assert next_batch_day(datetime(2026, 12, 4, 23, 59)) == date(2026, 12, 5)


def test_only_the_highest_milestone_crossed_counts() -> None:
    assert milestone_crossed(900, 1100) == 1000
    assert milestone_crossed(900, 2600) == 2500
    assert milestone_crossed(1000, 1200) is None  # already past 1,000 before
    assert milestone_crossed(10, 20) is None


def test_the_intent_score_is_the_batch_rule_from_the_dbt_vars() -> None:
    rule = intent_rule()
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert rule.weights == {k: float(v) for k, v in variables["intent_signal_weights"].items()}
    assert rule.threshold == float(variables["intent_alert_threshold"])
    assert rule.half_life_days == float(variables["intent_half_life_days"])
    assert rule.lookback_days == int(variables["intent_lookback_days"])


def test_the_intent_score_decays_is_spent_by_a_purchase_and_is_capped() -> None:
    rule = IntentRule(
        weights={"product_view": 10.0, "cart_add": 30.0, "search": 15.0},
        half_life_days=7.0,
        lookback_days=30,
        threshold=70.0,
    )
    at = datetime(2026, 12, 4, 10)
    week_ago = at - timedelta(days=7)
    assert rule.score([("cart_add", at), ("cart_add", at)], at) == 60.0
    assert rule.score([("product_view", week_ago), ("cart_add", at)], at) == 35.0  # halved
    assert rule.score([("cart_add", at - timedelta(days=31))], at) == 0.0  # out of lookback
    assert rule.score([("cart_add", at + timedelta(seconds=1))], at) == 0.0  # not yet
    assert rule.score([("cart_add", at)] * 5, at) == 100.0
    assert rule.score([("checkout_started", at)], at) == 0.0  # not a signal of the rule
    spent = [("cart_add", week_ago), ("cart_add", at - timedelta(hours=1))]
    assert rule.score(spent, at, last_purchase=week_ago) == 29.9  # the older add is spent


def test_an_alert_without_an_owner_goes_to_its_types_channel_and_urgency_follows_severity() -> None:
    alert = make_alert(
        alert_type="high_risk_deal",
        entity_type="opportunity",
        entity_id="OPP-1",
        window_key="2026-12-05",
        severity="critical",
        title="t",
        details=[],
        factors=[],
        actions=[],
        as_of=date(2026, 12, 5),
        created_at=datetime(2026, 12, 4),
    )
    assert alert.recipient == "#customer-success"
    assert alert.tier == "immediate"
    assert alert.delivery_mode == "immediate"
