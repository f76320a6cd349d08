"""The copilot's account signals on a built warehouse (one full run, DuckDB and PostgreSQL):
the new sources reach raw and staging, the success features feed the account churn model and
account_health carries risk factors, opportunities, confidence and the rules' version."""

from __future__ import annotations

import json

from ml.contracts import MODEL_SPECS
from tests.built import BuiltWarehouse

RISK_KEYS = {
    "usage_decline",
    "login_decline",
    "feature_abandonment",
    "low_email_engagement",
    "email_bounces",
    "stakeholder_turnover",
    "competitor_mentions",
    "survey_score_decline",
    "low_nps",
    "survey_response_decline",
    "training_no_shows",
    "onboarding_incomplete",
    "community_decline",
    "support_escalations",
    "low_csat",
    "payment_issues",
}
OPPORTUNITY_KEYS = {
    "seat_expansion",
    "usage_growth",
    "advocacy",
    "integration_adoption",
    "feature_adoption",
}


def test_new_sources_are_loaded_and_staged(built_warehouse: BuiltWarehouse) -> None:
    for raw, staged in (
        ("raw_marketing.email_events", "staging.stg_marketing__email_events"),
        ("raw_training.enrollments", "staging.stg_training__enrollments"),
        ("raw_community.posts", "staging.stg_community__posts"),
        ("raw_surveys.responses", "staging.stg_surveys__responses"),
    ):
        raw_rows = built_warehouse.scalar(f"select count(*) from {raw}")
        staged_rows = built_warehouse.scalar(f"select count(*) from {staged}")
        assert 0 < staged_rows <= raw_rows, raw


def test_account_health_lists_known_factors_with_confidence(
    built_warehouse: BuiltWarehouse,
) -> None:
    rows = built_warehouse.query(
        "select risk_factors, opportunities, confidence_score, model_version "
        "from marts.account_health"
    )
    assert rows
    risks = [json.loads(row[0]) for row in rows]
    openings = [json.loads(row[1]) for row in rows]
    assert all(len(found) <= 3 and set(found) <= RISK_KEYS for found in risks)
    assert all(len(set(found)) == len(found) for found in risks + openings)
    assert all(set(found) <= OPPORTUNITY_KEYS for found in openings)
    assert any(risks) and any(openings), "the generated accounts show both"
    assert all(0 <= row[2] <= 1 for row in rows)
    assert len({row[3] for row in rows}) == 1 and rows[0][3].startswith("health_rules_v2-")


def test_account_churn_model_reads_the_success_features(built_warehouse: BuiltWarehouse) -> None:
    from feature_repo.dbt_features import load_feature_models

    spec = MODEL_SPECS["account_churn"]
    assert {"account_engagement_features", "account_adoption_features"} <= set(spec.feature_models)
    models = load_feature_models()
    engagement = models["account_engagement_features"].feature_names
    adoption = models["account_adoption_features"].feature_names
    for name in (
        "email_open_rate_90d",
        "email_bounce_rate_90d",
        "stakeholder_turnover_rate_180d",
        "nps_change_180d",
        "competitor_mentions_90d",
        "training_no_shows_90d",
    ):
        assert name in engagement
    for name in (
        "onboarding_completion_rate",
        "time_to_value_days",
        "login_decline_pct_30d",
        "feature_abandonment_rate_30d",
        "integration_usage_count_90d",
    ):
        assert name in adoption
    rows = built_warehouse.scalar(
        "select count(*) from features.account_engagement_features "
        "where email_open_rate_90d is not null"
    )
    assert rows > 0
