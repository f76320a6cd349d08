{#-
    A transparent lead score (0-100) for every open lead at the run's as-of date: six
    factors, each earning up to its points in var `lead_score_points`. Conversion-rate
    factors are scored against the best source or industry of the day. Stands until a
    trained lead-scoring model replaces it.
-#}
{%- set points = var('lead_score_points') %}

with

run_date as (
    {{ run_as_of_date() }}
),

lead_features as (
    select * from {{ ref('lead_features') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

users as (
    select * from {{ ref('int_crm_users_with_managers') }}
),

latest_lead_features as (
    select
        lead_features.*,
        {#- The best source and industry of the day, over every lead open at the date. -#}
        max(lead_features.source_conversion_rate) over () as best_source_conversion_rate,
        max(lead_features.industry_conversion_rate) over () as best_industry_conversion_rate
    from lead_features
    inner join run_date
        on lead_features.as_of_date = run_date.as_of_date
),

latest_open_leads as (
    select latest_lead_features.*
    from latest_lead_features
    inner join leads
        on latest_lead_features.lead_id = leads.lead_id
    where coalesce(leads.lead_status, 'new') not in ('converted', 'disqualified')
),

factor_points as (
    select
        latest_open_leads.*,
        {{ points.source }} * coalesce(
            {{ b2b_clamp_unit(safe_ratio('source_conversion_rate', 'best_source_conversion_rate')) }}, 0
        ) as source_points,
        {{ points.email }} * {{ b2b_clamp_unit('email_open_count / 10.0') }} as email_points,
        {{ points.web }} * {{ b2b_clamp_unit('web_visit_count / 10.0') }} as web_points,
        {{ points.company_size }} * case latest_open_leads.company_size_band
            when 'medium' then 1.0
            when 'large' then 0.8
            when 'small' then 0.4
            else 0.0
        end as company_size_points,
        {{ points.recency }} * {{ b2b_clamp_unit('1 - ' ~ safe_ratio('lead_age_days', 180)) }} as recency_points,
        {{ points.industry }} * coalesce(
            {{ b2b_clamp_unit(safe_ratio('industry_conversion_rate', 'best_industry_conversion_rate')) }}, 0
        ) as industry_points
    from latest_open_leads
),

scored as (
    select
        factor_points.*,
        factor_points.source_points
        + factor_points.email_points
        + factor_points.web_points
        + factor_points.company_size_points
        + factor_points.recency_points
        + factor_points.industry_points
            as lead_score
    from factor_points
),

final as (
    select
        scored.lead_id,
        scored.as_of_date,
        cast(scored.owner_user_id as {{ dbt.type_string() }}) as owner_user_id,
        cast(owner_user.full_name as {{ dbt.type_string() }}) as owner_name,
        cast(owner_user.slack_user_id as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(owner_user.manager_user_id as {{ dbt.type_string() }}) as manager_user_id,
        cast(owner_user.manager_slack_user_id as {{ dbt.type_string() }}) as manager_slack_user_id,
        scored.lead_source,
        scored.industry,
        scored.company_size_band,
        scored.email_open_count,
        scored.web_visit_count,
        scored.lead_age_days,
        cast(scored.source_points as {{ dbt.type_float() }}) as source_points,
        cast(scored.email_points as {{ dbt.type_float() }}) as email_points,
        cast(scored.web_points as {{ dbt.type_float() }}) as web_points,
        cast(scored.company_size_points as {{ dbt.type_float() }}) as company_size_points,
        cast(scored.recency_points as {{ dbt.type_float() }}) as recency_points,
        cast(scored.industry_points as {{ dbt.type_float() }}) as industry_points,
        cast(scored.lead_score as {{ dbt.type_float() }}) as lead_score,
        cast(
            case
                when scored.lead_score >= 80 then 'critical'
                when scored.lead_score >= 60 then 'high'
                when scored.lead_score >= 40 then 'medium'
                else 'low'
            end as {{ dbt.type_string() }}
        ) as lead_priority
    from scored
    left join users as owner_user
        on scored.owner_user_id = owner_user.user_id
)

select * from final
