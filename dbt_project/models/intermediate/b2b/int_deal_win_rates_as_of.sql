{#-
    Historical win rates as they were known at each as-of date: only deals closed strictly
    before it count. One row per as-of date, dimension (all, segment, owner, lead source)
    and value, over two windows: the last 90 days and `win_rate_lookback_days`.
-#}
{%- set lookback_days = var('win_rate_lookback_days') %}

with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

closed_deals as (
    select
        opportunity_id,
        segment,
        owner_user_id,
        lead_source,
        is_won,
        amount,
        sales_cycle_days,
        closed_at
    from opportunities
    where closed_at is not null
),

deal_dimensions as (
    select
        'all' as dimension_name,
        'all' as dimension_value,
        closed_deals.*
    from closed_deals
    union all
    select
        'segment' as dimension_name,
        segment as dimension_value,
        closed_deals.*
    from closed_deals
    union all
    select
        'owner' as dimension_name,
        owner_user_id as dimension_value,
        closed_deals.*
    from closed_deals
    where owner_user_id is not null
    union all
    select
        'lead_source' as dimension_name,
        lead_source as dimension_value,
        closed_deals.*
    from closed_deals
),

closed_before_as_of as (
    select
        as_of_dates.as_of_date,
        deal_dimensions.dimension_name,
        deal_dimensions.dimension_value,
        deal_dimensions.is_won,
        deal_dimensions.amount,
        deal_dimensions.sales_cycle_days,
        deal_dimensions.closed_at >= {{ days_before('as_of_dates.as_of_date', 90) }} as is_closed_last_90d
    from as_of_dates
    inner join deal_dimensions
        on
            as_of_dates.as_of_date > deal_dimensions.closed_at
            and deal_dimensions.closed_at >= {{ days_before('as_of_dates.as_of_date', lookback_days) }}
),

win_rates as (
    select
        as_of_date,
        dimension_name,
        dimension_value,
        count(*) as closed_deals,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_closed_last_90d then 1 else 0 end) as closed_deals_90d,
        sum(case when is_closed_last_90d and is_won then 1 else 0 end) as won_deals_90d,
        sum(case when is_closed_last_90d and is_won then amount else 0 end) as won_amount_90d,
        avg(case when is_won then sales_cycle_days end) as avg_won_cycle_days,
        avg(case when is_closed_last_90d and is_won then sales_cycle_days end) as avg_won_cycle_days_90d,
        avg(case when is_won then amount end) as avg_won_amount
    from closed_before_as_of
    group by as_of_date, dimension_name, dimension_value
),

final as (
    select
        as_of_date,
        cast(dimension_name as {{ dbt.type_string() }}) as dimension_name,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(closed_deals as {{ dbt.type_int() }}) as closed_deals,
        cast(won_deals as {{ dbt.type_int() }}) as won_deals,
        {{ safe_ratio('won_deals', 'closed_deals') }} as win_rate,
        cast(closed_deals_90d as {{ dbt.type_int() }}) as closed_deals_90d,
        cast(won_deals_90d as {{ dbt.type_int() }}) as won_deals_90d,
        {{ safe_ratio('won_deals_90d', 'closed_deals_90d') }} as win_rate_90d,
        cast(won_amount_90d as {{ dbt.type_float() }}) as won_amount_90d,
        cast(avg_won_cycle_days as {{ dbt.type_float() }}) as avg_won_cycle_days,
        cast(avg_won_cycle_days_90d as {{ dbt.type_float() }}) as avg_won_cycle_days_90d,
        cast(avg_won_amount as {{ dbt.type_float() }}) as avg_won_amount
    from win_rates
)

select * from final
