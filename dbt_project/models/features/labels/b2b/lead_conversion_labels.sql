{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    post_hook="{{ prune_dates_outside_spine() }}",
    on_schema_change='append_new_columns',
) }}
{#-
    One row per lead open at a matured as-of date: converted within
    `lead_conversion_horizon_days` days starting at the as-of date?
-#}
{%- set horizon_days = var('lead_conversion_horizon_days') %}

with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

dates_to_build as (
    {#- Incremental: a label changes until its horizon is complete, so look back that far. -#}
    {{ as_of_dates_to_build(horizon_days + var('late_arriving_lookback_days')) }}
),

matured_dates as (
    select as_of_date
    from as_of_dates
    where
        {{ days_after('as_of_date', horizon_days) }} <= ({{ run_as_of_date() }})
        and as_of_date in (select dates_to_build.as_of_date from dates_to_build)
),

final as (
    select
        leads.lead_id,
        matured_dates.as_of_date,
        coalesce(leads.converted_at < {{ days_after('matured_dates.as_of_date', horizon_days) }}, false)
            as is_converted,
        cast({{ horizon_days }} as {{ dbt.type_int() }}) as horizon_days
    from matured_dates
    inner join leads
        on
            matured_dates.as_of_date > leads.created_at
            and (leads.converted_at is null or matured_dates.as_of_date <= leads.converted_at)
    where not leads.is_future_dated
)

select * from final
