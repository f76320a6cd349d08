{#-
    Account health at the run's as-of date for every account with a running subscription:
    five component scores in [0, 1] from the point-in-time features, their weighted
    average (var `account_health_weights`) and the weakest component as the driver, with the
    usage signals behind the usage score (the usage-decline and upsell alerts filter on them).
    Beside them, as the copilot's health score model has them: the top contributing risk factors
    and the opportunities (JSON lists of keys, macros/b2b/health_factors.sql), a confidence score
    (the share of components backed by data) and the version of these rules.
-#}
{%- set weights = var('account_health_weights') %}
{%- set components = ['usage', 'engagement', 'support', 'financial', 'relationship'] %}
{%- set rules_text = tojson(weights) ~ tojson(account_health_risk_factors())
    ~ tojson(account_health_opportunities()) %}
{%- set model_version = 'health_rules_v2-' ~ local_md5(rules_text)[:8] %}

with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

account_owners as (
    select * from {{ ref('int_account_owners') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

usage_features as (
    select * from {{ ref('account_usage_features') }}
),

support_features as (
    select * from {{ ref('account_support_features') }}
),

billing_features as (
    select * from {{ ref('account_billing_features') }}
),

engagement_features as (
    select * from {{ ref('account_engagement_features') }}
),

adoption_features as (
    select * from {{ ref('account_adoption_features') }}
),

latest_date as (
    {{ run_as_of_date() }}
),

decision_makers as (
    select
        contacts.account_id,
        count(*) as decision_maker_contacts
    from contacts
    cross join latest_date
    where
        contacts.is_decision_maker
        and contacts.created_at < latest_date.as_of_date
    group by contacts.account_id
),

recent_wins as (
    select
        opportunities.account_id,
        count(*) as won_deals_365d
    from opportunities
    cross join latest_date
    where
        opportunities.is_won
        and opportunities.closed_at < latest_date.as_of_date
        and opportunities.closed_at >= {{ days_before('latest_date.as_of_date', 365) }}
    group by opportunities.account_id
),

account_signals as (
    select
        billing_features.account_id,
        billing_features.as_of_date,
        usage_features.event_count_30d,
        usage_features.event_count_90d,
        usage_features.usage_30d_vs_90d_ratio,
        usage_features.feature_adoption_rate_30d,
        usage_features.features_used_30d,
        usage_features.usage_trend_pct,
        usage_features.days_since_last_usage,
        usage_features.active_days_30d,
        usage_features.weekly_to_monthly_active_ratio,
        usage_features.active_users_30d,
        usage_features.power_user_ratio_30d,
        support_features.tickets_30d,
        support_features.tickets_90d,
        support_features.escalations_90d,
        support_features.csat_avg_90d,
        support_features.csat_responses_90d,
        engagement_features.emails_delivered_90d,
        engagement_features.email_open_rate_90d,
        engagement_features.email_bounce_rate_90d,
        engagement_features.community_posts_90d,
        engagement_features.community_posts_change_90d,
        engagement_features.competitor_mentions_90d,
        engagement_features.training_sessions_180d,
        engagement_features.training_no_shows_90d,
        engagement_features.survey_responses_180d,
        engagement_features.survey_response_rate_change_180d,
        engagement_features.nps_avg_180d,
        engagement_features.nps_change_180d,
        engagement_features.stakeholder_turnover_rate_180d,
        adoption_features.onboarding_completion_rate,
        adoption_features.integration_usage_count_90d,
        adoption_features.feature_abandonment_rate_30d,
        adoption_features.login_decline_pct_30d,
        billing_features.mrr,
        billing_features.mrr_change_pct_90d,
        billing_features.seat_count,
        billing_features.late_paid_invoices_180d,
        billing_features.invoices_with_failed_payment_90d,
        billing_features.max_invoice_aging_days,
        billing_features.subscription_tenure_days,
        coalesce(decision_makers.decision_maker_contacts, 0) as decision_maker_contacts,
        coalesce(recent_wins.won_deals_365d, 0) as won_deals_365d
    from billing_features
    inner join latest_date
        on billing_features.as_of_date = latest_date.as_of_date
    left join usage_features
        on
            billing_features.account_id = usage_features.account_id
            and billing_features.as_of_date = usage_features.as_of_date
    left join support_features
        on
            billing_features.account_id = support_features.account_id
            and billing_features.as_of_date = support_features.as_of_date
    left join engagement_features
        on
            billing_features.account_id = engagement_features.account_id
            and billing_features.as_of_date = engagement_features.as_of_date
    left join adoption_features
        on
            billing_features.account_id = adoption_features.account_id
            and billing_features.as_of_date = adoption_features.as_of_date
    left join decision_makers
        on billing_features.account_id = decision_makers.account_id
    left join recent_wins
        on billing_features.account_id = recent_wins.account_id
    where billing_features.has_active_subscription
),

component_scores as (
    select
        account_signals.*,
        {#- Usage: volume held against the 90-day pace, breadth of features, weekly trend. -#}
        
        case
            when coalesce(account_signals.event_count_90d, 0) = 0 then 0.0
            else
                0.5 * {{ b2b_clamp_unit('usage_30d_vs_90d_ratio') }}
                + 0.25 * {{ b2b_clamp_unit('feature_adoption_rate_30d') }}
                + 0.25 * {{ b2b_clamp_unit('0.5 + 2.5 * usage_trend_pct') }}
        end as usage_score,
        {#- Engagement: active days, weekly stickiness, seats in use. -#}
        
        0.4 * {{ b2b_clamp_unit('coalesce(active_days_30d, 0) / 20.0') }}
        + 0.3 * {{ b2b_clamp_unit('coalesce(weekly_to_monthly_active_ratio, 0)') }}
        + 0.3 * {{ b2b_clamp_unit('coalesce(' ~ safe_ratio('active_users_30d', 'seat_count') ~ ', 0)') }}
            as engagement_score,
        {#- Support: few tickets, few escalations, good CSAT (neutral without answers). -#}
        
        0.35 * (1 - {{ b2b_clamp_unit('coalesce(tickets_30d, 0) / 5.0') }})
        + 0.35 * (1 - {{ b2b_clamp_unit('coalesce(escalations_90d, 0) / 3.0') }})
        + 0.3 * {{ b2b_clamp_unit('coalesce((csat_avg_90d - 1) / 4.0, 0.75)') }}
            as support_score,
        {#- Financial: on-time payments, no failures, no aging, growing MRR. -#}
        
        0.3 * (1 - {{ b2b_clamp_unit('late_paid_invoices_180d / 3.0') }})
        + 0.25 * (1 - {{ b2b_clamp_unit('invoices_with_failed_payment_90d / 2.0') }})
        + 0.2 * (1 - {{ b2b_clamp_unit('max_invoice_aging_days / 60.0') }})
        + 0.25 * {{ b2b_clamp_unit('0.5 + coalesce(mrr_change_pct_90d, 0)') }}
            as financial_score,
        {#- Relationship: decision makers known, tenure, recent closed-won business. -#}
        
        0.4 * {{ b2b_clamp_unit('decision_maker_contacts / 2.0') }}
        + 0.3 * {{ b2b_clamp_unit('coalesce(subscription_tenure_days, 0) / 365.0') }}
        + 0.3 * {{ b2b_clamp_unit('won_deals_365d') }}
            as relationship_score
    from account_signals
),

overall as (
    select
        component_scores.*,
        (
            {%- for component in components %}
                {{ weights[component] }} * {{ component }}_score{{ ' +' if not loop.last }}
            {%- endfor %}
        ) / {{ weights.values() | sum }} as overall_score,
        least(
            {%- for component in components %}
                {{ component }}_score{{ ',' if not loop.last }}
            {%- endfor %}
        ) as lowest_score
    from component_scores
),

account_risk_factors as (
    {{ account_health_factor_list('account_signals', account_health_risk_factors(), limit=3) }}
),

account_opportunities as (
    {{ account_health_factor_list('account_signals', account_health_opportunities()) }}
),

confidence as (
    {#- A component is backed by data when one of its sources had something to say. -#}
    select
        account_id,
        (
            case when coalesce(event_count_90d, 0) > 0 then 1 else 0 end
            + case
                when
                    coalesce(active_users_30d, 0) > 0
                    or coalesce(emails_delivered_90d, 0) > 0
                    or coalesce(survey_responses_180d, 0) > 0
                    or coalesce(training_sessions_180d, 0) > 0
                    then 1
                else 0
            end
            + case when coalesce(tickets_90d, 0) > 0 or coalesce(csat_responses_90d, 0) > 0 then 1 else 0 end
            + case when mrr is not null then 1 else 0 end
            + case when decision_maker_contacts > 0 or won_deals_365d > 0 then 1 else 0 end
        ) / {{ components | length }}.0 as confidence_score
    from account_signals
),

owners as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.segment,
        accounts.industry,
        accounts.region,
        account_owners.account_executive_user_id as owner_user_id,
        account_owners.account_executive_name as owner_name,
        account_owners.account_executive_slack_user_id as owner_slack_user_id,
        account_owners.csm_user_id,
        account_owners.csm_name,
        account_owners.csm_slack_user_id,
        account_owners.manager_user_id,
        account_owners.manager_slack_user_id
    from accounts
    left join account_owners
        on accounts.account_id = account_owners.account_id
),

final as (
    select
        overall.account_id,
        overall.as_of_date,
        cast(owners.account_name as {{ dbt.type_string() }}) as account_name,
        cast(owners.segment as {{ dbt.type_string() }}) as segment,
        cast(owners.industry as {{ dbt.type_string() }}) as industry,
        cast(owners.region as {{ dbt.type_string() }}) as region,
        cast(overall.mrr as {{ dbt.type_float() }}) as mrr,
        {%- for component in components %}
            cast(overall.{{ component }}_score as {{ dbt.type_float() }}) as {{ component }}_score,
        {%- endfor %}
        cast(overall.overall_score as {{ dbt.type_float() }}) as overall_score,
        cast(
            case
                when overall.overall_score >= 0.7 then 'healthy'
                when overall.overall_score >= 0.4 then 'at_risk'
                else 'critical'
            end as {{ dbt.type_string() }}
        ) as health_status,
        cast(
            case overall.lowest_score
                {%- for component in components %}
                    when overall.{{ component }}_score then '{{ component }}'
                {%- endfor %}
            end as {{ dbt.type_string() }}
        ) as lowest_component,
        {%- for column in ['event_count_30d', 'event_count_90d', 'active_users_30d', 'days_since_last_usage',
                           'features_used_30d'] %}
            cast(overall.{{ column }} as {{ dbt.type_int() }}) as {{ column }},
        {%- endfor %}
        {%- for column in ['usage_30d_vs_90d_ratio', 'usage_trend_pct', 'power_user_ratio_30d',
                           'feature_adoption_rate_30d'] %}
            cast(overall.{{ column }} as {{ dbt.type_float() }}) as {{ column }},
        {%- endfor %}
        cast(owners.owner_user_id as {{ dbt.type_string() }}) as owner_user_id,
        cast(owners.owner_name as {{ dbt.type_string() }}) as owner_name,
        cast(owners.owner_slack_user_id as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(owners.csm_user_id as {{ dbt.type_string() }}) as csm_user_id,
        cast(owners.csm_name as {{ dbt.type_string() }}) as csm_name,
        cast(owners.csm_slack_user_id as {{ dbt.type_string() }}) as csm_slack_user_id,
        cast(owners.manager_user_id as {{ dbt.type_string() }}) as manager_user_id,
        cast(owners.manager_slack_user_id as {{ dbt.type_string() }}) as manager_slack_user_id,
        cast(coalesce(account_risk_factors.factor_list, '[]') as {{ dbt.type_string() }}) as risk_factors,
        cast(coalesce(account_opportunities.factor_list, '[]') as {{ dbt.type_string() }}) as opportunities,
        cast(confidence.confidence_score as {{ dbt.type_float() }}) as confidence_score,
        cast('{{ model_version }}' as {{ dbt.type_string() }}) as model_version
    from overall
    left join owners
        on overall.account_id = owners.account_id
    left join account_risk_factors
        on overall.account_id = account_risk_factors.account_id
    left join account_opportunities
        on overall.account_id = account_opportunities.account_id
    left join confidence
        on overall.account_id = confidence.account_id
)

select * from final
