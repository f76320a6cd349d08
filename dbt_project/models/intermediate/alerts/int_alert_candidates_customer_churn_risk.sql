{#-
    Churn risk of shop customers: the score band is the severity (medium and up alert). At
    most var `alert_customer_churn_limit` customers per run, most revenue at risk (probability
    x predicted revenue) first, so a badly calibrated day cannot flood the retention channel.
    Shop customers have no CRM owner: the alert goes to the type's channel.
-#}
{%- set churn_thresholds = var('churn_risk_thresholds') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

journey as (
    select * from {{ ref('customer_journey') }}
),

ranked_at_risk as (
    select
        risk_scores.*,
        row_number() over (
            order by
                risk_scores.churn_probability * coalesce(risk_scores.predicted_revenue, 0) desc,
                risk_scores.churn_probability desc,
                risk_scores.customer_id asc
        ) as value_at_risk_rank
    from risk_scores
    where risk_scores.churn_risk_band in ('critical', 'high', 'medium')
),

final as (
    select
        {{ alert_candidate(
            alert_type='churn_risk',
            entity_type='customer',
            entity_id='ranked_at_risk.customer_id',
            entity_name="'Customer ' || cast(ranked_at_risk.customer_id as " ~ dbt.type_string() ~ ")",
            severity='ranked_at_risk.churn_risk_band',
            title="'Churn Risk: Customer ' || cast(ranked_at_risk.customer_id as " ~ dbt.type_string() ~ ")
                || ' (' || ranked_at_risk.churn_risk_band || ')'",
            details=alert_lines([
                "'Churn probability: ' || " ~ alert_percent('ranked_at_risk.churn_probability')
                    ~ " || coalesce(' in the next ' || " ~ alert_number('ranked_at_risk.churn_horizon_days')
                    ~ " || ' days', '')",
                "'Segment: ' || ranked_at_risk.segment_name",
                "'Predicted revenue: ' || " ~ alert_money('ranked_at_risk.predicted_revenue')
                    ~ " || coalesce(' in ' || " ~ alert_number('ranked_at_risk.clv_horizon_days') ~ " || ' days', '')",
                "'Lifetime: ' || " ~ alert_number('profiles.lifetime_orders') ~ " || ' orders, ' || "
                    ~ alert_money('profiles.lifetime_revenue'),
            ]),
            factors=alert_lines([
                alert_model_factor('ranked_at_risk.churn_factor_1_name', 'ranked_at_risk.churn_factor_1_contribution'),
                alert_model_factor('ranked_at_risk.churn_factor_2_name', 'ranked_at_risk.churn_factor_2_contribution'),
                alert_model_factor('ranked_at_risk.churn_factor_3_name', 'ranked_at_risk.churn_factor_3_contribution'),
                "'No order for ' || " ~ alert_number('profiles.recency_days') ~ " || ' days'",
            ]),
            suggested_actions=alert_lines([
                "'Next best action: ' || replace(journey.next_best_action, '_', ' ')",
                "case ranked_at_risk.churn_risk_band
                    when 'critical' then 'Contact the customer within 24 hours'
                    when 'high' then 'Reach out within 24 hours with a win-back offer'
                    else " ~ text_literal("Add the customer to this week's retention campaign") ~ "
                end",
                "'Review recent orders, returns and support tickets'",
            ]),
            metric_value='ranked_at_risk.churn_probability',
            threshold_value=alert_band_threshold('ranked_at_risk.churn_risk_band'),
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from ranked_at_risk
    cross join run_date
    left join profiles
        on ranked_at_risk.customer_id = profiles.customer_id
    left join journey
        on ranked_at_risk.customer_id = journey.customer_id
    where ranked_at_risk.value_at_risk_rank <= {{ var('alert_customer_churn_limit') }}
)

select * from final
