{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Orders per unified customer per day: the pre-aggregate every order feature and label reads.
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
        sum(subtotal) as subtotal,
        sum(discount_amount) as discount_amount,
        sum(case when order_channel = 'web' then 1 else 0 end) as web_order_count,
        sum(case when order_channel = 'app' then 1 else 0 end) as app_order_count,
        sum(case when order_channel = 'store' then 1 else 0 end) as store_order_count
    from orders
    group by customer_id, order_date
),

final as (
    select
        customer_id,
        order_date,
        order_date as first_order_date,
        lag(order_date) over (partition by customer_id order by order_date) as previous_order_date,
        order_count,
        revenue,
        subtotal,
        discount_amount,
        web_order_count,
        app_order_count,
        store_order_count
    from daily
)

select * from final
