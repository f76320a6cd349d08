{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='fail',
) }}
{#-
    Order features per unified customer per as-of date, from orders alone (so complete on an
    export of nothing but orders). Only order days strictly before the as-of date count;
    customers appear from the first as-of date after their first order. Incremental: a run
    adds the as-of dates later than those already built.
-#}
{%- set windows = var('customer_feature_windows_days') -%}

with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

as_of_dates as (
    {{ as_of_dates_to_build(ref('int_as_of_dates')) }}
),

order_days_before_as_of as (
    {{ point_in_time_pairs(
        'order_days', 'as_of_dates', ['customer_id'], 'order_date',
        sum_columns=[
            'order_count', 'revenue', 'subtotal', 'discount_amount',
            'web_order_count', 'app_order_count', 'store_order_count',
        ],
        min_columns=['first_order_date'],
        max_columns=['previous_order_date'],
    ) }}
),

aggregated as (
    select
        customer_id,
        as_of_date,
        {%- for days in windows %}
            {{ window_sum('order_count', days) }} as orders_{{ days }}d,
            {{ window_sum('revenue', days) }} as revenue_{{ days }}d,
        {%- endfor %}
        sum(order_count) as lifetime_order_count,
        sum(revenue) as lifetime_revenue,
        sum(event_day_count) as order_day_count,
        min(first_order_date) as first_order_date,
        max(event_date) as last_order_date,
        max(previous_order_date) as previous_order_date,
        sum(subtotal) as lifetime_subtotal,
        sum(discount_amount) as lifetime_discount_amount,
        sum(web_order_count) as web_order_count,
        sum(app_order_count) as app_order_count,
        sum(store_order_count) as store_order_count
    from order_days_before_as_of
    group by customer_id, as_of_date
),

final as (
    select
        customer_id,
        as_of_date,
        {%- for days in windows %}
            cast(orders_{{ days }}d as {{ dbt.type_int() }}) as orders_{{ days }}d,
            cast(revenue_{{ days }}d as numeric(18, 2)) as revenue_{{ days }}d,
        {%- endfor %}
        {{ days_between('last_order_date', 'as_of_date') }} as recency_days,
        cast(lifetime_order_count as {{ dbt.type_int() }}) as frequency,
        cast(lifetime_revenue as numeric(18, 2)) as monetary,
        {{ days_between('first_order_date', 'as_of_date') }} as tenure_days,
        cast({{ safe_ratio('lifetime_revenue', 'lifetime_order_count') }} as numeric(18, 2)) as average_order_value,
        {{ safe_ratio(days_between('first_order_date', 'last_order_date'), 'order_day_count - 1') }}
            as avg_days_between_orders,
        {{ days_between('previous_order_date', 'last_order_date') }} as last_days_between_orders,
        {{ days_between('previous_order_date', 'last_order_date') }}
        - {{ safe_ratio(days_between('first_order_date', 'last_order_date'), 'order_day_count - 1') }}
            as days_between_orders_trend,
        {{ safe_ratio('lifetime_discount_amount', 'lifetime_subtotal') }} as discount_share,
        {{ safe_ratio('web_order_count', 'lifetime_order_count') }} as web_order_share,
        {{ safe_ratio('app_order_count', 'lifetime_order_count') }} as app_order_share,
        {{ safe_ratio('store_order_count', 'lifetime_order_count') }} as store_order_share,
        cast(
            (case when web_order_count > 0 then 1 else 0 end)
            + (case when app_order_count > 0 then 1 else 0 end)
            + (case when store_order_count > 0 then 1 else 0 end)
            as {{ dbt.type_int() }}
        ) as channel_count,
        first_order_date,
        last_order_date
    from aggregated
)

select * from final
