{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Orders that count as purchases, attributed to the unified customer: not cancelled, no
    negative amounts. Missing columns of a bare orders export (status, channel, discount) read
    as completed, unknown channel and no discount. The customer map is empty when there are no
    shop customer records, and then each order keeps its export's customer id.
-#}
with

orders as (
    select * from {{ ref('stg_commerce__orders') }}
),

customer_map as (
    select * from {{ ref('int_identity_customer_map') }}
),

final as (
    select
        orders.order_id,
        coalesce(customer_map.customer_id, orders.customer_id) as customer_id,
        orders.customer_id as shop_customer_id,
        coalesce(orders.order_channel, 'unknown') as order_channel,
        coalesce(orders.order_status, 'completed') as order_status,
        orders.subtotal,
        coalesce(orders.discount_amount, 0) as discount_amount,
        orders.order_total,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date
    from orders
    left join customer_map
        on orders.customer_id = customer_map.commerce_customer_id
    where
        orders.customer_id is not null
        and orders.ordered_at is not null
        and coalesce(orders.order_status, 'completed') <> 'cancelled'
        and not orders.is_amount_negative
)

select * from final
