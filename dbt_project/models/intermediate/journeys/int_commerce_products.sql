{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    The product catalogue the exports imply: each product's category, from order lines first
    (what was sold), else from product views. Products seen in neither have no row.

    A table, not a view: it reads every order line and web event, and as a view its reader and
    each of its tests ran that again (on PostgreSQL at 100k customers 13-14 s per test in a
    daily run, and twice inside int_customer_intent_signals).
-#}
with

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

web_events as (
    select * from {{ ref('stg_commerce__web_events') }}
),

product_categories as (
    select
        product_id,
        product_category,
        1 as source_rank
    from order_items
    where product_id is not null and product_category is not null

    union all

    select
        product_id,
        category as product_category,
        2 as source_rank
    from web_events
    where product_id is not null and category is not null
),

ranked as (
    select
        product_id,
        product_category,
        row_number() over (
            partition by product_id
            order by source_rank asc, product_category asc
        ) as category_rank
    from product_categories
),

final as (
    select
        product_id,
        product_category
    from ranked
    where category_rank = 1
)

select * from final
