{#-
    High-risk deals: an open deal whose model risk is above var `alert_deal_risk_threshold`
    (critical from var `alert_deal_risk_critical`). To the deal's owner, their manager copied.
-#}
{%- set threshold = var('alert_deal_risk_threshold') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

open_deals as (
    select * from {{ ref('opportunity_pipeline') }}
),

deal_scores as (
    select * from {{ ref('deal_risk_scores') }}
),

risky_deals as (
    select
        open_deals.*,
        deal_scores.risk_score,
        deal_scores.factor_1_name,
        deal_scores.factor_1_contribution,
        deal_scores.factor_2_name,
        deal_scores.factor_2_contribution,
        deal_scores.factor_3_name,
        deal_scores.factor_3_contribution
    from open_deals
    inner join deal_scores
        on open_deals.opportunity_id = deal_scores.opportunity_id
    where deal_scores.risk_score > {{ threshold }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='high_risk_deal',
            entity_type='opportunity',
            entity_id='risky_deals.opportunity_id',
            entity_name='coalesce(risky_deals.account_name, risky_deals.opportunity_id)',
            severity="case when risky_deals.risk_score >= " ~ var('alert_deal_risk_critical')
                ~ " then 'critical' else 'high' end",
            title="'High-Risk Deal: ' || risky_deals.opportunity_id || coalesce(' - ' || risky_deals.account_name, '')
                || coalesce(' (' || " ~ alert_money('risky_deals.amount') ~ " || ')', '')",
            details=alert_lines([
                "'Risk Score: ' || " ~ alert_number('risky_deals.risk_score') ~ " || '/100'",
                "'Stage: ' || risky_deals.stage_name || coalesce(' (' || "
                    ~ alert_number('risky_deals.days_in_stage') ~ " || ' days)', '')",
                "'Owner: ' || risky_deals.owner_name",
            ]),
            factors=alert_lines([
                "case when risky_deals.age_vs_segment_cycle > 1 then 'Sales cycle ' || "
                    ~ alert_percent('risky_deals.age_vs_segment_cycle - 1') ~ " || ' longer than segment average' end",
                "case when risky_deals.has_weak_lead_source then 'Lead source (' || risky_deals.lead_source || ') has ' || "
                    ~ alert_percent('risky_deals.lead_source_win_rate') ~ " || ' win rate' end",
                "case when risky_deals.is_stalled or risky_deals.is_slow_in_stage then 'Deal moving slowly (velocity: ' || "
                    ~ alert_number('risky_deals.deal_velocity', 2) ~ " || ' stages per 30 days)' end",
                "case when risky_deals.has_competitor then 'A competitor is named on the deal' end",
                "case when risky_deals.is_past_expected_close then 'Expected close date has passed' end",
                alert_model_factor('risky_deals.factor_1_name', 'risky_deals.factor_1_contribution'),
                alert_model_factor('risky_deals.factor_2_name', 'risky_deals.factor_2_contribution'),
                alert_model_factor('risky_deals.factor_3_name', 'risky_deals.factor_3_contribution'),
            ]),
            suggested_actions=alert_lines([
                "'Schedule executive engagement call'",
                "case when risky_deals.is_stalled or risky_deals.is_slow_in_stage
                    then 'Reduce POC scope to accelerate' end",
                "case when risky_deals.has_competitor then 'Review competitive landscape'
                    else 'Confirm budget, decision maker and timeline' end",
            ]),
            metric_value='risky_deals.risk_score',
            threshold_value=threshold,
            owner_user_id='risky_deals.owner_user_id',
            owner_name='risky_deals.owner_name',
            owner_slack_user_id='risky_deals.owner_slack_user_id',
            cc_slack_user_id='risky_deals.manager_slack_user_id',
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from risky_deals
    cross join run_date
)

select * from final
