"""The rule baselines and fallbacks of ml/baselines/rules.py on tiny hand-checked frames."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.baselines.rule_models import rule_model
from ml.baselines.rules import (
    RULES,
    RuleConfig,
    account_health_risk,
    deal_stage_age_risk,
    health_components,
    lead_score_points,
    lead_score_rule,
    population_medians,
    project_rule_config,
    recency_churn_risk,
    trailing_revenue,
)

CONFIG = RuleConfig()


def _accounts() -> pd.DataFrame:
    """a1: no usage, poor payments; a2: strong except support (the account_health unit test)."""
    return pd.DataFrame(
        {
            "account_id": ["a1", "a2"],
            "as_of_date": [date(2026, 10, 31)] * 2,
            "event_count_90d": [0, 90],
            "usage_30d_vs_90d_ratio": [None, 1.0],
            "feature_adoption_rate_30d": [None, 1.0],
            "usage_trend_pct": [None, 0.2],
            "active_days_30d": [20, 20],
            "weekly_to_monthly_active_ratio": [0.0, 1.0],
            "active_users_30d": [0, 10],
            "seat_count": [10, 10],
            "tickets_30d": [0, 5],
            "escalations_90d": [0, 3],
            "csat_avg_90d": [None, 1.0],
            "late_paid_invoices_180d": [3, 0],
            "invoices_with_failed_payment_90d": [2, 0],
            "max_invoice_aging_days": [60, 0],
            "mrr_change_pct_90d": [-0.5, 0.0],
            "subscription_tenure_days": [365, 365],
        }
    )


def test_health_components_follow_the_mart_formula() -> None:
    components = health_components(_accounts())
    # a1: no usage in 90 days scores 0; 20 active days only; no tickets, CSAT neutral 0.75.
    assert components.loc[0, "usage"] == 0.0
    assert components.loc[0, "engagement"] == pytest.approx(0.4)
    assert components.loc[0, "support"] == pytest.approx(0.35 + 0.35 + 0.3 * 0.75)
    assert components.loc[0, "financial"] == pytest.approx(0.0)
    # a2: full usage and engagement, support 0 (5 tickets, 3 escalations, CSAT 1), full money.
    assert components.loc[1, "usage"] == pytest.approx(1.0)
    assert components.loc[1, "engagement"] == pytest.approx(1.0)
    assert components.loc[1, "support"] == pytest.approx(0.0)
    assert components.loc[1, "financial"] == pytest.approx(0.3 + 0.25 + 0.2 + 0.125)
    assert components["relationship"].tolist() == pytest.approx([1.0, 1.0])


def test_account_risk_is_one_minus_health_and_its_shortfalls_add_up() -> None:
    scores = account_health_risk(_accounts(), CONFIG)
    weights = CONFIG.health_weights
    health_a2 = (
        weights["usage"] * 1.0
        + weights["engagement"] * 1.0
        + weights["support"] * 0.0
        + weights["financial"] * 0.875
        + weights["relationship"] * 1.0
    )
    assert scores.score[1] == pytest.approx(1 - health_a2)
    assert scores.score[0] > scores.score[1]
    assert scores.components.sum(axis=1).to_numpy() == pytest.approx(scores.score)
    assert scores.components.iloc[1].idxmax() == "support_health_shortfall"


def test_account_risk_counts_a_component_without_inputs_as_neutral() -> None:
    frame = _accounts().assign(late_paid_invoices_180d=[None, None])
    assert health_components(frame)["financial"].isna().all()
    scores = account_health_risk(frame, CONFIG)
    shortfall = CONFIG.health_weights["financial"] * 0.5
    assert scores.components["financial_health_shortfall"].tolist() == pytest.approx(
        [shortfall] * 2
    )
    assert np.isfinite(scores.score).all()


def test_account_risk_uses_the_configured_weights() -> None:
    usage_only = RuleConfig(
        health_weights={
            "usage": 1.0,
            "engagement": 0.0,
            "support": 0.0,
            "financial": 0.0,
            "relationship": 0.0,
        }
    )
    assert account_health_risk(_accounts(), usage_only).score.tolist() == pytest.approx([1.0, 0.0])


def _leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": ["l1", "l2", "l3"],
            "as_of_date": [date(2026, 10, 17), date(2026, 10, 17), date(2026, 10, 31)],
            "source_conversion_rate": [0.2, 0.1, 0.05],
            "industry_conversion_rate": [0.3, None, 0.3],
            "email_open_count": [12, 5, 0],
            "web_visit_count": [10, 2, 0],
            "company_size_band": ["medium", "small", "unknown"],
            "lead_age_days": [0, 90, 400],
        }
    )


def test_lead_points_score_rates_against_the_best_of_the_same_date() -> None:
    points = lead_score_points(_leads(), CONFIG)
    # l1 has the best source and industry of 2026-10-17; l3 is alone (so the best) on its date.
    assert points["source_points"].tolist() == pytest.approx([25.0, 12.5, 25.0])
    # An industry without a matured rate earns no points.
    assert points["industry_points"].tolist() == pytest.approx([10.0, 0.0, 10.0])
    assert points["email_points"].tolist() == pytest.approx([20.0, 10.0, 0.0])
    assert points["web_points"].tolist() == pytest.approx([20.0, 4.0, 0.0])
    assert points["company_size_points"].tolist() == pytest.approx([15.0, 6.0, 0.0])
    assert points["recency_points"].tolist() == pytest.approx([10.0, 5.0, 0.0])


def test_lead_score_is_the_six_factor_score_over_100() -> None:
    scores = lead_score_rule(_leads(), CONFIG)
    assert scores.score.tolist() == pytest.approx([1.0, (12.5 + 10 + 4 + 6 + 5) / 100, 0.35])
    assert scores.components.sum(axis=1).to_numpy() == pytest.approx(scores.score)


def test_a_rule_scored_in_batches_uses_the_whole_populations_median() -> None:
    """Spark scores a frame batch by batch: with the population's medians fixed, each batch
    scores as the whole frame does; the batch's own median would change single-order rows."""
    customers = pd.concat([_customers()] * 2, ignore_index=True)
    customers.loc[4:, "avg_days_between_orders"] = [90.0, 120.0, None, None]
    model = rule_model("customer_churn", "churn_horizon_days", CONFIG)
    assert model is not None
    whole = model.predict(customers)
    population = population_medians(customers, model.rule.medians)
    assert population == {"avg_days_between_orders": 60.0}
    pinned = model.for_population(population)
    in_batches = np.concatenate([pinned.predict(customers[:4]), pinned.predict(customers[4:])])
    np.testing.assert_allclose(in_batches, whole)
    unpinned = np.concatenate([model.predict(customers[:4]), model.predict(customers[4:])])
    assert not np.allclose(unpinned, whole)


def test_deal_risk_is_the_stage_loss_rate_until_the_deal_stalls() -> None:
    frame = pd.DataFrame(
        {
            "stage_win_rate": [0.6, 0.6, 0.6, None, None],
            "overall_win_rate": [0.3, 0.3, 0.3, 0.4, None],
            "days_in_stage": [10, 60, 90, 30, 0],
        }
    )
    scores = deal_stage_age_risk(frame, RuleConfig(stalled_stage_days=30))
    # within the threshold: 1 - 0.6; twice as long: win chance halved; three times: quartered.
    # Without a stage rate: the overall rate; without any: a coin toss.
    assert scores.score.tolist() == pytest.approx([0.4, 0.7, 0.85, 0.6, 0.5])
    assert scores.components["stage_loss_rate"].tolist() == pytest.approx([0.4, 0.4, 0.4, 0.6, 0.5])
    assert scores.components.sum(axis=1).to_numpy() == pytest.approx(scores.score)


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "recency_days": [10, 60, 120, None],
            "avg_days_between_orders": [30, 30, None, None],
            "revenue_90d": [300.0, 90.0, 0.0, None],
            "monetary": [1200.0, 900.0, 50.0, None],
            "tenure_days": [400, 200, 120, None],
        }
    )


def test_churn_rises_with_recency_beyond_the_usual_gap() -> None:
    scores = recency_churn_risk(_customers(), CONFIG, 90)
    # Within the usual gap (30 days): only the chance of no order in 90 days, exp(-3).
    assert scores.score[0] == pytest.approx(math.exp(-3))
    # Two gaps of silence: active with exp(-1).
    assert scores.score[1] == pytest.approx(1 - math.exp(-1) * (1 - math.exp(-3)))
    # A single-order customer takes the median repeat gap (30): four gaps -> exp(-3) active.
    assert scores.score[2] == pytest.approx(1 - math.exp(-3) * (1 - math.exp(-3)))
    assert scores.score[3] == 1.0  # no orders at all
    assert np.all(np.diff(scores.score) > 0)
    assert scores.components.sum(axis=1).to_numpy() == pytest.approx(scores.score)


def test_trailing_revenue_keeps_the_recent_pace() -> None:
    short = trailing_revenue(_customers(), CONFIG, 30)
    assert short.score.tolist() == pytest.approx([100.0, 30.0, 0.0, 0.0])
    long = trailing_revenue(_customers(), CONFIG, 180)
    # Lifetime revenue per day over max(tenure, 180) days, for 180 days.
    assert long.score.tolist() == pytest.approx([1200 * 180 / 400, 900 * 180 / 200, 50.0, 0.0])


def test_rule_models_serve_scores_and_factors_for_every_model_with_a_rule() -> None:
    assert set(RULES) == {
        "account_churn",
        "lead_score",
        "deal_risk",
        "customer_churn",
        "customer_clv",
    }
    account = rule_model("account_churn", "account_churn_horizon_days", CONFIG)
    assert account is not None and account.rule.version == "rule:account_health"
    assert account.horizon_days == 90
    frame = _accounts()
    assert account.predict(frame).tolist() == pytest.approx(
        account_health_risk(frame, CONFIG).score.tolist()
    )
    factors = account.top_factors(frame, k=3)
    assert factors.loc[1, "factor_1_name"] == "support_health_shortfall"
    assert factors.loc[0, "factor_1_contribution"] >= factors.loc[0, "factor_2_contribution"]
    assert account.predict_labels(frame) is None
    assert rule_model("customer_segments", None, CONFIG) is None
    churn = rule_model("customer_churn", "churn_horizon_days", CONFIG)
    assert churn is not None and churn.horizon_days == 90


def test_a_rule_applies_only_when_its_inputs_have_values() -> None:
    rule = RULES["deal_risk"]
    assert rule.applies(pd.DataFrame({"days_in_stage": [3, None]}))
    assert not rule.applies(pd.DataFrame({"days_in_stage": [None, None]}))
    assert not rule.applies(pd.DataFrame({"stage_name": ["proposal"]}))


def test_project_config_reads_the_dbt_vars_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CIW_ACCOUNT_CHURN_HORIZON_DAYS", "45")
    config = project_rule_config()
    assert config.horizons["account_churn_horizon_days"] == 45
    assert config.horizons["clv_horizon_days"] == 180
    assert sum(config.health_weights.values()) == pytest.approx(1.0)
    assert sum(config.lead_points.values()) == pytest.approx(100.0)
    assert config.stalled_stage_days == 30
