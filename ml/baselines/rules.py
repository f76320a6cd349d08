"""Rule-based scores: the baselines the models must beat, and what scoring serves without one.

Each rule is a pure function of feature columns at one as-of date (the columns of the spec's
feature models in ``ml/contracts.py``), so it is point in time wherever those columns are:
training and holdout rows, or today's scoring frame. No label is read. A rule returns a score
in the direction of its model's prediction (P(churn), P(lost), P(converted) in 0..1; revenue for
CLV) and signed per-row components, in score units, that add up to the score; served as a
fallback, the largest components are the row's factors.

The account and lead rules restate the warehouse's own rules with the same dbt vars: the account
health score of ``marts.account_health`` (minus the contact and won-deal parts of the
relationship component, which no account feature carries) and the six-factor score of
``marts.lead_scores``. Tests hold them to those marts on a built warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

HEALTH_COMPONENTS = ("usage", "engagement", "support", "financial", "relationship")
LEAD_FACTORS = ("source", "email", "web", "company_size", "recency", "industry")
#: company_size_band -> share of the company-size points (marts.lead_scores).
COMPANY_SIZE_SHARE = {"medium": 1.0, "large": 0.8, "small": 0.4}
#: Score of a health component that cannot be computed (its inputs are missing): neutral.
NEUTRAL_COMPONENT = 0.5
#: Statistics of the whole scored population a rule reads, by column (``Rule.medians``).
Population = Mapping[str, float]


@dataclass(frozen=True)
class RuleConfig:
    """The dbt vars the rules read (defaults: those of dbt_project.yml when this was written)."""

    health_weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "usage": 0.30,
            "engagement": 0.20,
            "support": 0.20,
            "financial": 0.20,
            "relationship": 0.10,
        }
    )
    lead_points: Mapping[str, float] = field(
        default_factory=lambda: {
            "source": 25,
            "email": 20,
            "web": 20,
            "company_size": 15,
            "recency": 10,
            "industry": 10,
        }
    )
    stalled_stage_days: int = 30
    #: Label horizons by dbt var (``ModelSpec.horizon_var``): what a served rule score is for.
    horizons: Mapping[str, int] = field(
        default_factory=lambda: {
            "churn_horizon_days": 90,
            "clv_horizon_days": 180,
            "account_churn_horizon_days": 90,
            "lead_conversion_horizon_days": 90,
        }
    )


def project_rule_config() -> RuleConfig:
    """The rule parameters as the dbt build sees them: dbt_project.yml vars, then the
    environment's overrides (``CIW_*_HORIZON_DAYS``)."""
    from warehouse.settings import dbt_project_vars, dbt_vars_from_env

    variables: dict[str, Any] = {**dbt_project_vars(), **dbt_vars_from_env()}
    default = RuleConfig()
    return RuleConfig(
        health_weights=dict(variables.get("account_health_weights", default.health_weights)),
        lead_points=dict(variables.get("lead_score_points", default.lead_points)),
        stalled_stage_days=int(variables.get("stalled_stage_days", default.stalled_stage_days)),
        horizons={name: int(variables.get(name, days)) for name, days in default.horizons.items()},
    )


@dataclass(frozen=True)
class RuleScores:
    """One score per row and the components (columns, score units) that add up to it."""

    score: np.ndarray
    components: pd.DataFrame


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column (missing: all NaN); booleans as 0/1, Decimals as floats."""
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[name].astype(object), errors="coerce").astype(float)


def _unit(values: pd.Series) -> pd.Series:
    """Clamped to [0, 1]; NaN stays NaN (the SQL macro b2b_clamp_unit)."""
    return values.clip(lower=0.0, upper=1.0)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0 or missing (safe_ratio)."""
    return numerator / denominator.where(denominator != 0)


def health_components(frame: pd.DataFrame) -> pd.DataFrame:
    """The five account health components (0..1) of ``marts.account_health`` per row.

    From the account usage, support and billing feature columns, with the mart's weights inside
    each component and its null handling (a missing input leaves the component NaN). The
    relationship component is subscription tenure only (1 year = full): decision makers and
    won deals are not account features.
    """
    events_90d = _column(frame, "event_count_90d").fillna(0.0)
    usage = (
        0.5 * _unit(_column(frame, "usage_30d_vs_90d_ratio"))
        + 0.25 * _unit(_column(frame, "feature_adoption_rate_30d"))
        + 0.25 * _unit(0.5 + 2.5 * _column(frame, "usage_trend_pct"))
    ).where(events_90d != 0, 0.0)
    seats_in_use = _ratio(_column(frame, "active_users_30d"), _column(frame, "seat_count"))
    engagement = (
        0.4 * _unit(_column(frame, "active_days_30d").fillna(0.0) / 20.0)
        + 0.3 * _unit(_column(frame, "weekly_to_monthly_active_ratio").fillna(0.0))
        + 0.3 * _unit(seats_in_use.fillna(0.0))
    )
    support = (
        0.35 * (1 - _unit(_column(frame, "tickets_30d").fillna(0.0) / 5.0))
        + 0.35 * (1 - _unit(_column(frame, "escalations_90d").fillna(0.0) / 3.0))
        + 0.3 * _unit(((_column(frame, "csat_avg_90d") - 1) / 4.0).fillna(0.75))
    )
    financial = (
        0.3 * (1 - _unit(_column(frame, "late_paid_invoices_180d") / 3.0))
        + 0.25 * (1 - _unit(_column(frame, "invoices_with_failed_payment_90d") / 2.0))
        + 0.2 * (1 - _unit(_column(frame, "max_invoice_aging_days") / 60.0))
        + 0.25 * _unit(0.5 + _column(frame, "mrr_change_pct_90d").fillna(0.0))
    )
    relationship = _unit(_column(frame, "subscription_tenure_days").fillna(0.0) / 365.0)
    return pd.DataFrame(
        {
            "usage": usage,
            "engagement": engagement,
            "support": support,
            "financial": financial,
            "relationship": relationship,
        },
        index=frame.index,
    )


def account_health_risk(frame: pd.DataFrame, config: RuleConfig) -> RuleScores:
    """Account churn risk = 1 - account health (weighted components, var
    ``account_health_weights``); a component without inputs counts as neutral (0.5).

    Components: each health component's shortfall, weight x (1 - component) / total weight, named
    ``<component>_health_shortfall``; they add up to the risk.
    """
    components = health_components(frame).fillna(NEUTRAL_COMPONENT)
    total = float(sum(config.health_weights[name] for name in HEALTH_COMPONENTS))
    shortfalls = pd.DataFrame(
        {
            f"{name}_health_shortfall": config.health_weights[name] * (1 - components[name]) / total
            for name in HEALTH_COMPONENTS
        },
        index=frame.index,
    )
    return RuleScores(shortfalls.sum(axis=1).to_numpy(dtype=float), shortfalls)


def lead_score_points(frame: pd.DataFrame, config: RuleConfig) -> pd.DataFrame:
    """The six factor points of ``marts.lead_scores`` (var ``lead_score_points``) per row.

    Conversion-rate factors are scored against the best source or industry rate among the
    frame's rows of the same as-of date, as the mart does over the leads open at its date.
    """
    points = config.lead_points
    source_rate = _column(frame, "source_conversion_rate")
    industry_rate = _column(frame, "industry_conversion_rate")
    dates = (
        pd.to_datetime(frame["as_of_date"])
        if "as_of_date" in frame.columns
        else pd.Series(0, index=frame.index)
    )
    best_source = source_rate.groupby(dates).transform("max")
    best_industry = industry_rate.groupby(dates).transform("max")
    size_band = frame.get("company_size_band", pd.Series(None, index=frame.index, dtype=object))
    size_share = size_band.map(COMPANY_SIZE_SHARE).astype(float).fillna(0.0)
    return pd.DataFrame(
        {
            "source_points": points["source"] * _unit(_ratio(source_rate, best_source)).fillna(0),
            "email_points": points["email"] * _unit(_column(frame, "email_open_count") / 10.0),
            "web_points": points["web"] * _unit(_column(frame, "web_visit_count") / 10.0),
            "company_size_points": points["company_size"] * size_share,
            "recency_points": points["recency"]
            * _unit(1 - _column(frame, "lead_age_days") / 180.0),
            "industry_points": points["industry"]
            * _unit(_ratio(industry_rate, best_industry)).fillna(0),
        },
        index=frame.index,
    )


def lead_score_rule(frame: pd.DataFrame, config: RuleConfig) -> RuleScores:
    """Lead conversion score 0..1 = the six-factor lead score (0-100) / 100.

    Components: each factor's points / 100 (missing counts or age earn no points).
    """
    total = float(sum(config.lead_points[name] for name in LEAD_FACTORS))
    shares = lead_score_points(frame, config).fillna(0.0) / total
    return RuleScores(shares.sum(axis=1).to_numpy(dtype=float), shares)


def deal_stage_age_risk(frame: pd.DataFrame, config: RuleConfig) -> RuleScores:
    """Deal risk (P(lost)) from the stage's history and how long the deal has sat in it.

    win = the stage's win rate before the as-of date (``stage_win_rate``: deals closed within
    the win-rate lookback that had reached the stage), else the overall win rate, else 0.5;
    stalled periods = max(days_in_stage / var ``stalled_stage_days`` - 1, 0), and the chance of
    winning halves with each: risk = 1 - win x 0.5 ** stalled periods. A deal within the stalled
    threshold carries its stage's loss rate; one stalled twice as long, half its win chance.

    Components: ``stage_loss_rate`` (1 - win) and ``stalled_in_stage`` (the rest).
    """
    win = _column(frame, "stage_win_rate")
    win = win.fillna(_column(frame, "overall_win_rate")).fillna(0.5).clip(0.0, 1.0)
    stalled_for = _column(frame, "days_in_stage").fillna(0.0) / float(config.stalled_stage_days)
    decay = np.power(0.5, (stalled_for - 1.0).clip(lower=0.0))
    risk = 1.0 - win * decay
    components = pd.DataFrame(
        {"stage_loss_rate": 1.0 - win, "stalled_in_stage": risk - (1.0 - win)}, index=frame.index
    )
    return RuleScores(risk.to_numpy(dtype=float), components)


#: The column whose median over the scored population fills a single-order customer's gap.
USUAL_GAP = "avg_days_between_orders"


def positive_median(values: pd.Series) -> float | None:
    """The median of the positive values (None without any)."""
    positive = values[values > 0]
    return float(positive.median()) if len(positive) else None


def population_medians(frame: pd.DataFrame, columns: tuple[str, ...]) -> Population:
    """``positive_median`` of each column over the whole frame (columns without any left out)."""
    medians = {column: positive_median(_column(frame, column)) for column in columns}
    return {column: value for column, value in medians.items() if value is not None}


def _usual_gap(frame: pd.DataFrame, horizon_days: int, population: Population | None) -> pd.Series:
    """Days between orders per customer; single-order customers get the median repeat
    customer's gap over the scored population (the horizon when no customer has repeated)."""
    if population is None:
        population = population_medians(frame, (USUAL_GAP,))
    gap = _column(frame, USUAL_GAP)
    return gap.where(gap > 0).fillna(population.get(USUAL_GAP, float(horizon_days)))


def recency_churn_risk(
    frame: pd.DataFrame,
    config: RuleConfig,
    horizon_days: int,
    population: Population | None = None,
) -> RuleScores:
    """P(no purchase in the horizon) from recency relative to the customer's usual gap.

    A customer within their usual gap is active; each usual gap of silence beyond it divides
    the chance of still being active by e: p_active = exp(-max(recency / gap - 1, 0)). An active
    customer orders at one order per gap: P(an order in N days | active) = 1 - exp(-N / gap).
    churn = 1 - p_active x P(order | active). Customers without orders score 1.

    ``population`` holds the medians of the whole scored population (``Rule.population``);
    None computes them from ``frame``, which is then the whole population.

    Components: ``lapsed_beyond_usual_gap`` (1 - p_active) and ``no_order_expected_in_horizon``.
    """
    gap = _usual_gap(frame, horizon_days, population)
    recency = _column(frame, "recency_days")
    active = np.exp(-((recency / gap) - 1.0).clip(lower=0.0)).fillna(0.0)
    orders_if_active = 1.0 - np.exp(-float(horizon_days) / gap)
    churn = 1.0 - active * orders_if_active
    components = pd.DataFrame(
        {
            "lapsed_beyond_usual_gap": 1.0 - active,
            "no_order_expected_in_horizon": active * (1.0 - orders_if_active),
        },
        index=frame.index,
    )
    return RuleScores(churn.to_numpy(dtype=float), components)


def trailing_revenue(
    frame: pd.DataFrame,
    config: RuleConfig,
    horizon_days: int,
    population: Population | None = None,
) -> RuleScores:
    """Revenue in the next N days = revenue at the pace of the trailing period.

    N up to 90 days: the last 90 days' revenue x N / 90. Longer: lifetime revenue per day over
    max(tenure, N) days, x N (a customer younger than N is expected to repeat their total).

    Components: ``trailing_revenue`` (the whole score).
    """
    if horizon_days <= 90:
        revenue = _column(frame, "revenue_90d").fillna(0.0) * horizon_days / 90.0
    else:
        tenure = _column(frame, "tenure_days").fillna(0.0).clip(lower=float(horizon_days))
        revenue = _column(frame, "monetary").fillna(0.0) * horizon_days / tenure
    revenue = revenue.clip(lower=0.0)
    return RuleScores(revenue.to_numpy(dtype=float), pd.DataFrame({"trailing_revenue": revenue}))


@dataclass(frozen=True)
class Rule:
    """A model's rule: its name (``rule:<name>`` as a baseline or model version), the columns it
    cannot do without, and the function."""

    name: str
    required: tuple[str, ...]
    compute: Callable[[pd.DataFrame, RuleConfig, int, Population | None], RuleScores]
    #: Columns whose median over the whole scored population the rule reads. Scoring in
    #: batches (Spark's executors) computes them over the population first: a batch's own
    #: median would make a row's score depend on its batch.
    medians: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return f"rule:{self.name}"

    def applies(self, frame: pd.DataFrame) -> bool:
        """Whether the frame carries the rule's inputs with at least one value."""
        return all(
            column in frame.columns and frame[column].notna().any() for column in self.required
        )


def _horizonless(
    function: Callable[[pd.DataFrame, RuleConfig], RuleScores],
) -> Callable[[pd.DataFrame, RuleConfig, int, Population | None], RuleScores]:
    return lambda frame, config, _horizon, _population: function(frame, config)


#: The rule of each model that has one (segmentation has its own archetype rule in training).
RULES: dict[str, Rule] = {
    "account_churn": Rule(
        "account_health", ("subscription_tenure_days",), _horizonless(account_health_risk)
    ),
    "lead_score": Rule("lead_score", ("lead_age_days",), _horizonless(lead_score_rule)),
    "deal_risk": Rule("deal_stage_age", ("days_in_stage",), _horizonless(deal_stage_age_risk)),
    "customer_churn": Rule(
        "recency_gap", ("recency_days",), recency_churn_risk, medians=(USUAL_GAP,)
    ),
    "customer_clv": Rule("trailing_revenue", ("monetary",), trailing_revenue),
}
