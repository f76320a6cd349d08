{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook="{{ prune_dates_outside_spine() }}",
    )
}}

{%- set horizon_days = var('lead_conversion_horizon_days') %}
{%- set lookback_days = var('win_rate_lookback_days') %}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

valid_leads as (
    select
        lead_id,
        owner_user_id,
        coalesce(lead_source, 'unknown') as lead_source,
        coalesce(industry, 'unknown') as industry,
        employee_count,
        email_open_count,
        web_visit_count,
        created_at,
        converted_at
    from leads
    where not is_future_dated
),

open_lead_spine as (
    select
        valid_leads.*,
        as_of_dates.as_of_date
    from valid_leads
    inner join as_of_dates
        on
            valid_leads.created_at < as_of_dates.as_of_date
            and (valid_leads.converted_at is null or valid_leads.converted_at >= as_of_dates.as_of_date)
),

lead_dimensions as (
    select
        'lead_source' as dimension_name,
        lead_source as dimension_value,
        created_at,
        converted_at
    from valid_leads
    union all
    select
        'industry' as dimension_name,
        industry as dimension_value,
        created_at,
        converted_at
    from valid_leads
),

conversion_rates as (
    {#-
        Leads whose conversion window had fully passed before the as-of date (created
        before as-of minus the horizon), converted within the horizon: known at as-of.
    -#}
    select
        as_of_dates.as_of_date,
        lead_dimensions.dimension_name,
        lead_dimensions.dimension_value,
        count(*) as matured_leads,
        sum(case
            when lead_dimensions.converted_at < {{ dbt.dateadd('day', horizon_days, 'lead_dimensions.created_at') }}
                then 1
            else 0
        end) as converted_leads
    from as_of_dates
    inner join lead_dimensions
        on
            lead_dimensions.created_at < {{ days_before('as_of_dates.as_of_date', horizon_days) }}
            and lead_dimensions.created_at
            >= {{ days_before('as_of_dates.as_of_date', horizon_days + lookback_days) }}
    group by as_of_dates.as_of_date, lead_dimensions.dimension_name, lead_dimensions.dimension_value
),

final as (
    select
        open_lead_spine.lead_id,
        open_lead_spine.as_of_date,
        open_lead_spine.owner_user_id,
        cast(open_lead_spine.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(open_lead_spine.industry as {{ dbt.type_string() }}) as industry,
        cast(open_lead_spine.employee_count as {{ dbt.type_int() }}) as employee_count,
        cast(
            case
                when open_lead_spine.employee_count is null then 'unknown'
                when open_lead_spine.employee_count < 100 then 'small'
                when open_lead_spine.employee_count < 1000 then 'medium'
                else 'large'
            end as {{ dbt.type_string() }}
        ) as company_size_band,
        cast(coalesce(open_lead_spine.email_open_count, 0) as {{ dbt.type_int() }}) as email_open_count,
        cast(coalesce(open_lead_spine.web_visit_count, 0) as {{ dbt.type_int() }}) as web_visit_count,
        {{ days_between('open_lead_spine.created_at', 'open_lead_spine.as_of_date') }} as lead_age_days,
        {{ safe_ratio('source_rates.converted_leads', 'source_rates.matured_leads') }} as source_conversion_rate,
        cast(coalesce(source_rates.matured_leads, 0) as {{ dbt.type_int() }}) as source_matured_leads,
        {{ safe_ratio('industry_rates.converted_leads', 'industry_rates.matured_leads') }}
            as industry_conversion_rate
    from open_lead_spine
    left join conversion_rates as source_rates
        on
            open_lead_spine.as_of_date = source_rates.as_of_date
            and source_rates.dimension_name = 'lead_source'
            and open_lead_spine.lead_source = source_rates.dimension_value
    left join conversion_rates as industry_rates
        on
            open_lead_spine.as_of_date = industry_rates.as_of_date
            and industry_rates.dimension_name = 'industry'
            and open_lead_spine.industry = industry_rates.dimension_value
)

select * from final
