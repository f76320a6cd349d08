"""The alert rules the worker runs, with the batch's own thresholds and routing.

Thresholds are the dbt vars of ``dbt_project/dbt_project.yml`` (``alert_deal_risk_threshold``,
``alert_ltv_milestones``, ``alert_cart_abandonment_hours``, ...) and each alert type's fallback
channel is its row of the seed ``alert_types.csv``: nothing is restated here. Alert ids are the
dbt macro ``alert_id``'s: md5 of type, entity type, entity id and window, with the window the
batch would use, so the next batch computes the same id and the delivery log sends it once.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from notifier.messages import Alert
from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import dbt_project_vars

ALERT_TYPES_SEED = DBT_PROJECT_DIR / "seeds" / "alert_types.csv"
#: The signals that count towards a product's intent (marts.customer_product_intent's product
#: level; searches name a category, not a product, and count only at the category level), with
#: the raw table and event id column each is read from.
PRODUCT_SIGNALS = {
    "product_view": ("raw_commerce.web_events", "web_event_id"),
    "cart_add": ("raw_commerce.cart_events", "cart_event_id"),
}


@dataclass(frozen=True)
class IntentRule:
    """The product-intent score of ``marts.customer_product_intent``, from the same dbt vars
    (``intent_signal_weights``, ``intent_half_life_days``, ``intent_lookback_days``,
    ``intent_alert_threshold``): each signal in the lookback adds its weight, halved every
    half-life of age; signals at or before the last purchase of the product are spent; capped
    at 100 and rounded to one decimal, as the mart stores it."""

    weights: dict[str, float]
    half_life_days: float
    lookback_days: int
    threshold: float

    def score(
        self,
        signals: Iterable[tuple[str, datetime]],
        at: datetime,
        last_purchase: datetime | None = None,
    ) -> float:
        """The intent at ``at`` from (signal type, time) pairs; the batch scores at the as-of
        date's midnight, the worker at the event's time (that event included)."""
        start = at - timedelta(days=self.lookback_days)
        total = 0.0
        for kind, occurred in signals:
            if occurred > at or occurred < start:
                continue
            if last_purchase is not None and occurred <= last_purchase:
                continue
            age_days = (at - occurred).total_seconds() / 86400.0
            total += self.weights.get(kind, 0.0) * 0.5 ** (age_days / self.half_life_days)
        return round(min(total, 100.0), 1)


@dataclass(frozen=True)
class AlertVars:
    deal_risk_threshold: float
    deal_risk_critical: float
    cart_abandonment_hours: int
    ltv_milestones: tuple[float, ...]
    churn_thresholds: dict[str, float]


@cache
def alert_vars() -> AlertVars:
    """The alert vars as dbt sees them (``dbt_project.yml``)."""
    variables = dbt_project_vars()
    return AlertVars(
        deal_risk_threshold=float(variables["alert_deal_risk_threshold"]),
        deal_risk_critical=float(variables["alert_deal_risk_critical"]),
        cart_abandonment_hours=int(variables["alert_cart_abandonment_hours"]),
        ltv_milestones=tuple(float(m) for m in variables["alert_ltv_milestones"]),
        churn_thresholds={k: float(v) for k, v in variables["churn_risk_thresholds"].items()},
    )


@cache
def intent_rule() -> IntentRule:
    """The product-intent rule as dbt sees it (``dbt_project.yml``)."""
    variables = dbt_project_vars()
    return IntentRule(
        weights={k: float(v) for k, v in variables["intent_signal_weights"].items()},
        half_life_days=float(variables["intent_half_life_days"]),
        lookback_days=int(variables["intent_lookback_days"]),
        threshold=float(variables["intent_alert_threshold"]),
    )


@cache
def fallback_channels() -> dict[tuple[str, str], str]:
    """(alert type, entity type) -> the channel an alert without an owner goes to."""
    with ALERT_TYPES_SEED.open(encoding="utf-8", newline="") as handle:
        return {
            (row["alert_type"], row["entity_type"]): row["fallback_channel"]
            for row in csv.DictReader(handle)
        }


def alert_id(alert_type: str, entity_type: str, entity_id: str, window_key: str) -> str:
    """The dbt macro ``alert_id``: md5 of ``type|entity type|entity id|window``."""
    text = f"{alert_type}|{entity_type}|{entity_id}|{window_key}"
    return hashlib.md5(text.encode()).hexdigest()


def urgency(severity: str) -> str:
    """The dbt macro ``alert_urgency``."""
    return {"critical": "immediate", "high": "within_24h"}.get(severity, "within_week")


def next_batch_day(moment: datetime) -> date:
    """The as-of date of the first daily run that counts something that happened at
    ``moment`` (features count only what happened strictly before the as-of date)."""
    return moment.date() + timedelta(days=1)


def cart_window_day(last_cart_add: datetime, hours: int) -> date:
    """The as-of date whose run alerts this abandoned cart: the run counts cart adds from
    ``as_of - 24h - hours`` to ``as_of - hours`` (int_alert_candidates_cart_abandonment)."""
    return (last_cart_add + timedelta(hours=hours)).date() + timedelta(days=1)


def milestone_crossed(before: float, after: float) -> float | None:
    """The highest LTV milestone ``after`` reaches and ``before`` did not, if any."""
    crossed = [m for m in alert_vars().ltv_milestones if before < m <= after]
    return max(crossed) if crossed else None


def make_alert(
    *,
    alert_type: str,
    entity_type: str,
    entity_id: str,
    window_key: str,
    severity: str,
    title: str,
    details: list[str],
    factors: list[str],
    actions: list[str],
    as_of: date,
    created_at: datetime,
    entity_name: str | None = None,
    owner_user_id: str | None = None,
    owner_name: str | None = None,
    owner_slack: str | None = None,
    cc_slack: str | None = None,
) -> Alert:
    """An alert as the alerts mart routes it (recipient, copied manager, urgency)."""
    fallback = fallback_channels().get((alert_type, entity_type)) or fallback_channels().get(
        ("cart_abandonment", "customer"), "#customer-retention"
    )
    return Alert(
        alert_id=alert_id(alert_type, entity_type, entity_id, window_key),
        alert_type=alert_type,
        entity_type=entity_type,
        entity_id=entity_id,
        entity_name=entity_name,
        severity=severity,
        delivery_mode="immediate" if severity == "critical" else "digest",
        title=title,
        details="; ".join(details),
        factors="; ".join(factors),
        suggested_actions="; ".join(actions),
        owner_name=owner_name,
        recipient=owner_slack or fallback,
        cc_recipient=cc_slack if cc_slack and cc_slack != (owner_slack or "") else None,
        as_of_date=as_of,
        created_at=created_at,
        owner_user_id=owner_user_id,
        urgency=urgency(severity),
    )


def money(value: float) -> str:
    return f"${value:,.0f}"


def risk_band(probability: float) -> str:
    """The dbt macro ``risk_band``: the churn band of a probability (var
    ``churn_risk_thresholds``)."""
    thresholds = alert_vars().churn_thresholds
    for band in ("critical", "high", "medium"):
        if probability > thresholds[band]:
            return band
    return "low"
