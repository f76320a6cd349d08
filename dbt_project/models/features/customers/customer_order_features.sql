{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    post_hook="{{ prune_dates_outside_spine() }}",
    on_schema_change='append_new_columns',
) }}
{#-
    Order features per unified customer per as-of date, from orders alone (so complete on an
    export of nothing but orders). Only order days strictly before the as-of date count;
    customers appear from the first as-of date after their first order. Lifetime totals are
    running sums over buckets of the dates built, windows read only the days of the longest
    window (see spine_rollups). Incremental: a run adds the as-of dates later than those
    already built; a warehouse built before a column was added gains it (null on the dates
    built earlier).
-#}
{%- set windows = var('customer_feature_windows_days') -%}

with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

order_buckets as (
    {{ spine_bucket_totals(
        'order_days', 'as_of_dates', ['customer_id'], 'order_date',
        sum_columns=[
            'order_count', 'revenue', 'revenue_squared', 'gap_days_squared',
            'subtotal', 'discount_amount',
            'web_order_count', 'app_order_count', 'store_order_count',
        ],
        min_columns=['first_order_date'],
        max_columns=['previous_order_date'],
    ) }}
),

running_totals as (
    select
        customer_id,
        as_of_date,
        {{ next_change_as_of_date(['customer_id']) }} as next_change_as_of_date,
        {{ running_total('order_count', ['customer_id']) }} as lifetime_order_count,
        {{ running_total('revenue', ['customer_id']) }} as lifetime_revenue,
        {{ running_total('revenue_squared', ['customer_id']) }} as lifetime_revenue_squared,
        {{ running_total('gap_days_squared', ['customer_id']) }} as lifetime_gap_days_squared,
        {{ running_total('event_day_count', ['customer_id']) }} as order_day_count,
        {{ running_total('first_order_date', ['customer_id'], 'min') }} as first_order_date,
        {{ running_total('event_date', ['customer_id'], 'max') }} as last_order_date,
        {{ running_total('previous_order_date', ['customer_id'], 'max') }} as previous_order_date,
        {{ running_total('subtotal', ['customer_id']) }} as lifetime_subtotal,
        {{ running_total('discount_amount', ['customer_id']) }} as lifetime_discount_amount,
        {{ running_total('web_order_count', ['customer_id']) }} as web_order_count,
        {{ running_total('app_order_count', ['customer_id']) }} as app_order_count,
        {{ running_total('store_order_count', ['customer_id']) }} as store_order_count
    from order_buckets
),

recent_order_days as (
    {{ recent_days_before_as_of('order_days', 'as_of_dates', 'order_date') }}
),

window_totals as (
    select
        customer_id,
        as_of_date,
        {%- for days in windows %}
            {{ window_sum('order_count', days) }} as orders_{{ days }}d,
            {{ window_sum('revenue', days) }} as revenue_{{ days }}d,
        {%- endfor %}
        count(*) as recent_order_day_count
    from recent_order_days
    group by customer_id, as_of_date
),

aggregated as (
    select
        running_totals.customer_id,
        as_of_dates.as_of_date,
        {%- for days in windows %}
            coalesce(window_totals.orders_{{ days }}d, 0) as orders_{{ days }}d,
            coalesce(window_totals.revenue_{{ days }}d, 0) as revenue_{{ days }}d,
        {%- endfor %}
        running_totals.lifetime_order_count,
        running_totals.lifetime_revenue,
        running_totals.lifetime_revenue_squared,
        running_totals.lifetime_gap_days_squared,
        running_totals.order_day_count,
        running_totals.first_order_date,
        running_totals.last_order_date,
        running_totals.previous_order_date,
        running_totals.lifetime_subtotal,
        running_totals.lifetime_discount_amount,
        running_totals.web_order_count,
        running_totals.app_order_count,
        running_totals.store_order_count
    {{ from_running_totals_with_windows() }}
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
        {{ round_to_cents(safe_ratio('lifetime_revenue', 'lifetime_order_count')) }} as average_order_value,
        {{ safe_ratio(days_between('first_order_date', 'last_order_date'), 'order_day_count - 1') }}
            as avg_days_between_orders,
        {{ days_between('previous_order_date', 'last_order_date') }} as last_days_between_orders,
        {{ days_between('previous_order_date', 'last_order_date') }}
        - {{ safe_ratio(days_between('first_order_date', 'last_order_date'), 'order_day_count - 1') }}
            as days_between_orders_trend,
        case
            when lifetime_order_count > 1 then sqrt(greatest(
                    {{ safe_ratio('lifetime_revenue_squared', 'lifetime_order_count') }}
                    - power({{ safe_ratio('lifetime_revenue', 'lifetime_order_count') }}, 2),
                    0
                ))
        end as order_value_std,
        case
            when order_day_count > 1 then sqrt(greatest(
                    {{ safe_ratio('lifetime_gap_days_squared', 'order_day_count - 1') }}
                    - power(
                        {{ safe_ratio(days_between('first_order_date', 'last_order_date'), 'order_day_count - 1') }},
                        2
                    ),
                    0
                ))
        end as days_between_orders_std,
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
