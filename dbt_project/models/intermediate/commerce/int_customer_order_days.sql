{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Orders per unified customer per day: the pre-aggregate every order feature and label reads.
    Squared order totals and squared gaps to the previous order day let the features compute
    the dispersion of order values and of inter-purchase times from running sums.
    `previous_order_date` is the customer's order day before this one; `first_order_date`
    repeats `order_date` so point-in-time pairs can keep the earliest of collapsed days.
-#}
with

orders as (
    select * from {{ ref('int_commerce_orders') }}
),

daily as (
    select
        customer_id,
        order_date,
        count(*) as order_count,
        sum(order_total) as revenue,
        sum(cast(order_total as {{ dbt.type_float() }}) * order_total) as revenue_squared,
        sum(subtotal) as subtotal,
        sum(discount_amount) as discount_amount,
        sum(case when order_channel = 'web' then 1 else 0 end) as web_order_count,
        sum(case when order_channel = 'app' then 1 else 0 end) as app_order_count,
        sum(case when order_channel = 'store' then 1 else 0 end) as store_order_count
    from orders
    group by customer_id, order_date
),

with_previous as (
    select
        daily.*,
        lag(daily.order_date) over (
            partition by daily.customer_id order by daily.order_date
        ) as previous_order_date
    from daily
),

final as (
    select
        customer_id,
        order_date,
        order_date as first_order_date,
        previous_order_date,
        cast(
            {{ days_between('previous_order_date', 'order_date') }}
            * {{ days_between('previous_order_date', 'order_date') }}
            as {{ dbt.type_float() }}
        ) as gap_days_squared,
        order_count,
        revenue,
        revenue_squared,
        subtotal,
        discount_amount,
        web_order_count,
        app_order_count,
        store_order_count
    from with_previous
)

select * from final
