{#-
    One row per lead open at a matured as-of date: converted within
    `lead_conversion_horizon_days` days starting at the as-of date?
-#}
{%- set horizon_days = var('lead_conversion_horizon_days') %}

with

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

matured_dates as (
    {{ matured_label_dates(horizon_days) }}
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
