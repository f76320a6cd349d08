{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Purchased and returned item amounts per unified customer, product category and day: the
    pre-aggregate of category affinity and returns. Items of orders that do not count
    (cancelled, negative) are left out; returns count on the day they were received.
-#}
with

orders as (
    select * from {{ ref('int_commerce_orders') }}
),

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

returns as (
    select * from {{ ref('stg_commerce__returns') }}
),

purchased as (
    select
        orders.customer_id,
        coalesce(order_items.product_category, 'unknown') as product_category,
        orders.order_date as activity_date,
        1 as item_line_count,
        coalesce(order_items.quantity, 0) as item_quantity,
        coalesce(order_items.line_amount, 0) as item_amount,
        0 as returned_item_count,
        0 as refund_amount
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    where not order_items.is_amount_negative

    union all

    select
        orders.customer_id,
        coalesce(order_items.product_category, 'unknown') as product_category,
        cast(returns.returned_at as date) as activity_date,
        0 as item_line_count,
        0 as item_quantity,
        0 as item_amount,
        1 as returned_item_count,
        coalesce(returns.refund_amount, 0) as refund_amount
    from returns
    inner join orders
        on returns.order_id = orders.order_id
    left join order_items
        on returns.order_item_id = order_items.order_item_id
    where not returns.is_amount_negative
),

final as (
    select
        customer_id,
        product_category,
        activity_date,
        sum(item_line_count) as item_line_count,
        sum(item_quantity) as item_quantity,
        sum(item_amount) as item_amount,
        sum(returned_item_count) as returned_item_count,
        sum(refund_amount) as refund_amount
    from purchased
    group by customer_id, product_category, activity_date
)

select * from final
