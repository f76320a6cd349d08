{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='fail',
) }}
{#-
    Category affinity and returns per unified customer per as-of date, from order lines and
    returns strictly before it (lifetime). Empty when there are no order lines.
-#}
with

category_days as (
    select * from {{ ref('int_customer_category_days') }}
),

as_of_dates as (
    {{ as_of_dates_to_build(ref('int_as_of_dates')) }}
),

category_days_before_as_of as (
    {{ point_in_time_pairs(
        'category_days', 'as_of_dates', ['customer_id', 'product_category'], 'activity_date',
        sum_columns=['item_line_count', 'item_quantity', 'item_amount', 'returned_item_count', 'refund_amount'],
    ) }}
),

category_totals as (
    select
        customer_id,
        as_of_date,
        product_category,
        sum(item_line_count) as item_line_count,
        sum(item_amount) as item_amount,
        sum(returned_item_count) as returned_item_count,
        sum(refund_amount) as refund_amount
    from category_days_before_as_of
    group by customer_id, as_of_date, product_category
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, as_of_date
            order by item_amount desc, product_category asc
        ) as category_rank
    from category_totals
),

customer_totals as (
    select
        customer_id,
        as_of_date,
        sum(item_line_count) as item_line_count,
        sum(item_amount) as item_amount,
        sum(returned_item_count) as returned_item_count,
        sum(refund_amount) as refund_amount,
        sum(case when item_line_count > 0 then 1 else 0 end) as category_count,
        max(case when category_rank = 1 and item_line_count > 0 then product_category end) as top_category,
        max(case when category_rank = 1 then item_amount end) as top_category_amount
    from ranked
    group by customer_id, as_of_date
),

final as (
    select
        customer_id,
        as_of_date,
        top_category,
        {{ safe_ratio('top_category_amount', 'item_amount') }} as top_category_share,
        cast(category_count as {{ dbt.type_int() }}) as category_count,
        cast(item_line_count as {{ dbt.type_int() }}) as lifetime_item_count,
        cast(returned_item_count as {{ dbt.type_int() }}) as lifetime_returned_item_count,
        {{ safe_ratio('returned_item_count', 'item_line_count') }} as returns_rate,
        cast(refund_amount as numeric(18, 2)) as lifetime_refund_amount
    from customer_totals
)

select * from final
