"""Triggers: which customers a rule matches, read from the marts of the latest run.

Each trigger is one query over a mart (the design's trigger types): the churn probability at
or above a threshold (customer_risk_scores), product intent at or above a score
(customer_product_intent), a cart abandoned in the latest run (the cart_abandonment alerts),
lifetime revenue at or above a milestone (customer_profiles), and a journey milestone
(customer_journey). A mart that is absent (its source not loaded) matches nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automations.rules import Rule
from warehouse.adapters import Session

DEFAULT_CHURN_THRESHOLD = 0.6
DEFAULT_INTENT_SCORE = 70.0
DEFAULT_LTV_THRESHOLD = 1000.0


@dataclass(frozen=True)
class Match:
    """A customer a rule's trigger fired for, with the reason in words and its figures."""

    customer_id: int
    reason: str
    context: dict[str, Any]


def _query(rule: Rule) -> tuple[str, str, tuple[Any, ...]]:
    """(mart the trigger reads, SQL returning customer_id, figure, label, params)."""
    if rule.trigger == "churn_risk":
        threshold = float(rule.param("threshold", DEFAULT_CHURN_THRESHOLD))
        return (
            "marts.customer_risk_scores",
            "select customer_id, churn_probability, churn_risk_band from marts.customer_risk_scores"
            " where churn_probability >= %s",
            (threshold,),
        )
    if rule.trigger == "product_intent":
        score = float(rule.param("min_score", DEFAULT_INTENT_SCORE))
        return (
            "marts.customer_product_intent",
            "select customer_id, max(intent_score), max(item_key) from ("
            " select customer_id, intent_score, intent_level || ' ' || item_key as item_key,"
            " row_number() over (partition by customer_id order by intent_score desc,"
            " intent_level desc, item_key) as intent_rank"
            " from marts.customer_product_intent where intent_score >= %s) as ranked"
            " where intent_rank = 1 group by customer_id",
            (score,),
        )
    if rule.trigger == "cart_abandonment":
        return (
            "marts.alerts",
            "select cast(entity_id as bigint), metric_value, window_key from marts.alerts"
            " where alert_type = 'cart_abandonment' and entity_type = 'customer'"
            " and as_of_date = (select max(as_of_date) from marts.alerts)",
            (),
        )
    if rule.trigger == "ltv_milestone":
        threshold = float(rule.param("threshold", DEFAULT_LTV_THRESHOLD))
        return (
            "marts.customer_profiles",
            "select customer_id, lifetime_revenue, rfm_segment from marts.customer_profiles"
            " where lifetime_revenue >= %s",
            (threshold,),
        )
    return (
        "marts.customer_journey",
        "select customer_id, journey_score, next_best_action from marts.customer_journey"
        " where next_milestone = %s",
        (str(rule.param("milestone")),),
    )


def _reason(rule: Rule, figure: Any, label: Any) -> str:
    if rule.trigger == "churn_risk":
        return f"churn probability {float(figure):.2f} ({label})"
    if rule.trigger == "product_intent":
        return f"intent {float(figure):.0f}/100 for {label}"
    if rule.trigger == "cart_abandonment":
        return f"cart of {float(figure or 0):.2f} abandoned ({label})"
    if rule.trigger == "ltv_milestone":
        return f"lifetime revenue {float(figure):.2f} (segment {label})"
    return f"next milestone {rule.param('milestone')} (next best action {label})"


def matches(session: Session, rule: Rule) -> list[Match]:
    """The customers ``rule``'s trigger fires for, by customer id."""
    mart, sql, params = _query(rule)
    if not session.table_exists(mart):
        return []
    rows = session.execute(sql + " order by 1", params)
    return [
        Match(
            customer_id=int(customer_id),
            reason=_reason(rule, figure, label),
            context={"figure": None if figure is None else float(figure), "label": label},
        )
        for customer_id, figure, label in rows
        if customer_id is not None
    ]
