{#-
    Customer lifetime value label per unified customer per as-of date: revenue in the
    `clv_horizon_days` days from the as-of date, for customers who had ordered before it.
    Only matured horizons (see macro future_order_labels).
-#}
with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

future_orders as (
    {{ future_order_labels('order_days', 'as_of_dates', var('clv_horizon_days')) }}
),

final as (
    select
        customer_id,
        as_of_date,
        cast({{ var('clv_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days,
        horizon_end_date,
        cast(future_order_count as {{ dbt.type_int() }}) as future_order_count,
        cast(future_revenue as numeric(18, 2)) as future_revenue
    from future_orders
)

select * from final
