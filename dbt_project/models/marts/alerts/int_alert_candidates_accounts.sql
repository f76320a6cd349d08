{{ config(materialized='view', schema='intermediate') }}
{#-
    Alert candidates about B2B accounts at the run's as-of date: account churn risk (severity by
    the score band), usage decline (last 30 days under the 90-day pace) and upsell opportunity
    (a healthy account whose usage grows). The owner is the account's CSM, else its account
    executive, from the CRM; their manager is copied on critical alerts.
-#}
{%- set churn_thresholds = var('churn_risk_thresholds') -%}

with

risk_scores as (
    select * from {{ ref('account_risk_scores') }}
),

account_health as (
    select * from {{ ref('account_health') }}
),

usage_features as (
    select * from {{ ref('account_usage_features') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

owners as (
    select * from {{ ref('int_account_owners') }}
),

run_date as (
    {{ run_as_of_date() }}
),

account_owners as (
    select
        accounts.account_id,
        accounts.account_name,
        owners.owner_user_id,
        owners.owner_name,
        owners.owner_slack_user_id,
        owners.manager_slack_user_id
    from accounts
    left join owners
        on accounts.account_id = owners.account_id
),

latest_usage as (
    select usage_features.*
    from usage_features
    inner join run_date
        on usage_features.as_of_date = run_date.as_of_date
),

churn_risk as (
    select
        'churn_risk' as alert_type,
        'account' as entity_type,
        risk_scores.account_id as entity_id,
        coalesce(account_owners.account_name, risk_scores.account_id) as entity_name,
        risk_scores.churn_risk_band as severity,
        'Churn Risk: ' || coalesce(account_owners.account_name, risk_scores.account_id)
        || ' (' || risk_scores.churn_risk_band || ')' as title,
        {{ alert_lines([
            "'Churn probability: ' || " ~ alert_percent('risk_scores.churn_probability')
                ~ " || coalesce(' in the next ' || " ~ alert_number('risk_scores.churn_horizon_days') ~ " || ' days', '')",
            "'MRR: ' || " ~ alert_money('account_health.mrr'),
            "'Health: ' || account_health.health_status || ' (' || " ~ alert_number('100 * account_health.overall_score')
                ~ " || '/100, weakest: ' || account_health.lowest_component || ')'",
        ]) }} as details,
        {{ alert_lines([
            alert_model_factor('risk_scores.factor_1_name', 'risk_scores.factor_1_contribution'),
            alert_model_factor('risk_scores.factor_2_name', 'risk_scores.factor_2_contribution'),
            alert_model_factor('risk_scores.factor_3_name', 'risk_scores.factor_3_contribution'),
        ]) }} as factors,
        {{ alert_lines([
            "case risk_scores.churn_risk_band
                when 'critical' then 'Schedule an executive business review this week'
                when 'high' then 'Call the main contact within 24 hours'
                else 'Review the account at the next check-in'
            end",
            "'Address the weakest health component: ' || account_health.lowest_component",
            "'Confirm renewal intent and open issues'",
        ]) }} as suggested_actions,
        risk_scores.churn_probability as metric_value,
        case risk_scores.churn_risk_band
            when 'critical' then {{ churn_thresholds['critical'] }}
            when 'high' then {{ churn_thresholds['high'] }}
            else {{ churn_thresholds['medium'] }}
        end as threshold_value,
        account_owners.owner_user_id,
        account_owners.owner_name,
        account_owners.owner_slack_user_id,
        case
            when risk_scores.churn_risk_band = 'critical' then account_owners.manager_slack_user_id
        end as cc_slack_user_id,
        run_date.as_of_date
    from risk_scores
    cross join run_date
    left join account_owners
        on risk_scores.account_id = account_owners.account_id
    left join account_health
        on risk_scores.account_id = account_health.account_id
    where risk_scores.churn_risk_band in ('critical', 'high', 'medium')
),

usage_decline as (
    select
        'usage_decline' as alert_type,
        'account' as entity_type,
        account_health.account_id as entity_id,
        account_health.account_name as entity_name,
        case
            when latest_usage.usage_30d_vs_90d_ratio < {{ var('alert_usage_decline_ratio') }} / 2 then 'high'
            else 'medium'
        end as severity,
        'Usage Decline: ' || account_health.account_name
        || ' (' || {{ alert_percent('1 - latest_usage.usage_30d_vs_90d_ratio') }} || ' below pace)' as title,
        {{ alert_lines([
            "'Events, last 30 days: ' || " ~ alert_number('latest_usage.event_count_30d')
                ~ " || ' (90-day monthly pace: ' || " ~ alert_number('latest_usage.event_count_90d / 3.0') ~ " || ')'",
            "'Active users, last 30 days: ' || " ~ alert_number('latest_usage.active_users_30d'),
            "'MRR: ' || " ~ alert_money('account_health.mrr'),
        ]) }} as details,
        {{ alert_lines([
            "'Weekly usage trend: ' || " ~ alert_percent('latest_usage.usage_trend_pct') ~ " || ' per week'",
            "'Days since last usage: ' || " ~ alert_number('latest_usage.days_since_last_usage'),
            "'Features used, last 30 days: ' || " ~ alert_number('latest_usage.features_used_30d'),
        ]) }} as factors,
        {{ alert_lines([
            "'Check in with the main users about blockers'",
            "'Offer a training session on unused features'",
            "'Look for open support tickets or outages'",
        ]) }} as suggested_actions,
        latest_usage.usage_30d_vs_90d_ratio as metric_value,
        cast({{ var('alert_usage_decline_ratio') }} as {{ dbt.type_float() }}) as threshold_value,
        account_owners.owner_user_id,
        account_owners.owner_name,
        account_owners.owner_slack_user_id,
        cast(null as {{ dbt.type_string() }}) as cc_slack_user_id,
        run_date.as_of_date
    from account_health
    cross join run_date
    inner join latest_usage
        on account_health.account_id = latest_usage.account_id
    left join account_owners
        on account_health.account_id = account_owners.account_id
    where
        latest_usage.usage_30d_vs_90d_ratio < {{ var('alert_usage_decline_ratio') }}
        and latest_usage.event_count_90d >= {{ var('alert_usage_decline_min_events_90d') }}
),

upsell_opportunity as (
    select
        'upsell_opportunity' as alert_type,
        'account' as entity_type,
        account_health.account_id as entity_id,
        account_health.account_name as entity_name,
        'medium' as severity,
        'Upsell Opportunity: ' || account_health.account_name
        || ' (' || {{ alert_money('account_health.mrr') }} || ' MRR)' as title,
        {{ alert_lines([
            "'Health: ' || " ~ alert_number('100 * account_health.overall_score') ~ " || '/100'",
            "'MRR: ' || " ~ alert_money('account_health.mrr'),
            "'Active users, last 30 days: ' || " ~ alert_number('latest_usage.active_users_30d'),
        ]) }} as details,
        {{ alert_lines([
            "'Usage ' || " ~ alert_percent('latest_usage.usage_30d_vs_90d_ratio - 1') ~ " || ' above the 90-day pace'",
            "'Power users: ' || " ~ alert_percent('latest_usage.power_user_ratio_30d') ~ " || ' of active users'",
            "'Feature adoption: ' || " ~ alert_percent('latest_usage.feature_adoption_rate_30d'),
        ]) }} as factors,
        {{ alert_lines([
            "'Propose the next plan or more seats'",
            "'Introduce the features the account does not use yet'",
            "'Schedule an expansion call with the decision maker'",
        ]) }} as suggested_actions,
        latest_usage.usage_30d_vs_90d_ratio as metric_value,
        cast({{ var('alert_upsell_min_usage_ratio') }} as {{ dbt.type_float() }}) as threshold_value,
        account_owners.owner_user_id,
        account_owners.owner_name,
        account_owners.owner_slack_user_id,
        cast(null as {{ dbt.type_string() }}) as cc_slack_user_id,
        run_date.as_of_date
    from account_health
    cross join run_date
    inner join latest_usage
        on account_health.account_id = latest_usage.account_id
    left join account_owners
        on account_health.account_id = account_owners.account_id
    left join risk_scores
        on account_health.account_id = risk_scores.account_id
    where
        account_health.overall_score >= {{ var('alert_upsell_min_health_score') }}
        and latest_usage.usage_30d_vs_90d_ratio >= {{ var('alert_upsell_min_usage_ratio') }}
        and coalesce(risk_scores.churn_probability, 0) <= {{ churn_thresholds['medium'] }}
),

unioned as (
    select * from churn_risk
    union all
    select * from usage_decline
    union all
    select * from upsell_opportunity
),

final as (
    select
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        severity,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        owner_user_id,
        owner_name,
        owner_slack_user_id,
        cc_slack_user_id,
        cast(as_of_date as {{ dbt.type_string() }}) as window_key,
        as_of_date
    from unioned
)

select * from final
