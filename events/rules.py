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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import yaml

from notifier.messages import Alert
from warehouse.paths import DBT_PROJECT_DIR

ALERT_TYPES_SEED = DBT_PROJECT_DIR / "seeds" / "alert_types.csv"
#: The commerce design's product-intent trigger fires at this intent score (0-100).
PRODUCT_INTENT_MIN_SCORE = 70
#: Intent points per cart event on one product within :data:`PRODUCT_INTENT_DAYS` (a purchase
#: of the product resets it): the design names the score, not its recipe.
PRODUCT_INTENT_POINTS = {"cart_add": 30, "checkout_started": 40, "cart_remove": -20}
PRODUCT_INTENT_DAYS = 7


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
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    variables: dict[str, Any] = project.get("vars") or {}
    return AlertVars(
        deal_risk_threshold=float(variables["alert_deal_risk_threshold"]),
        deal_risk_critical=float(variables["alert_deal_risk_critical"]),
        cart_abandonment_hours=int(variables["alert_cart_abandonment_hours"]),
        ltv_milestones=tuple(float(m) for m in variables["alert_ltv_milestones"]),
        churn_thresholds={k: float(v) for k, v in variables["churn_risk_thresholds"].items()},
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
