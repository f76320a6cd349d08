{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    post_hook="{{ prune_dates_outside_spine() }}",
    on_schema_change='fail',
) }}
{#-
    Category affinity and returns per unified customer per as-of date, from order lines and
    returns strictly before it (lifetime). Empty when there are no order lines. Categories are
    totalled and ranked only at the buckets (of the dates built) where a customer's lines or
    returns change, and the result repeats until the next change (see spine_rollups).
-#}
with

category_days as (
    select * from {{ ref('int_customer_category_days') }}
),

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

category_buckets as (
    {{ spine_bucket_totals(
        'category_days', 'as_of_dates', ['customer_id', 'product_category'], 'activity_date',
        sum_columns=['item_line_count', 'item_amount', 'returned_item_count', 'refund_amount'],
    ) }}
),

-- The as-of dates at which a customer's category totals change: the only ones to rank at.
customer_changes as (
    select distinct
        customer_id,
        as_of_date
    from category_buckets
),

category_first_buckets as (
    select
        customer_id,
        product_category,
        min(as_of_date) as first_as_of_date
    from category_buckets
    group by customer_id, product_category
),

-- Every category a customer had bought or returned, at each of the customer's changes.
category_changes as (
    select
        customer_changes.customer_id,
        customer_changes.as_of_date,
        category_first_buckets.product_category,
        coalesce(category_buckets.item_line_count, 0) as item_line_count,
        coalesce(category_buckets.item_amount, 0) as item_amount,
        coalesce(category_buckets.returned_item_count, 0) as returned_item_count,
        coalesce(category_buckets.refund_amount, 0) as refund_amount
    from customer_changes
    inner join category_first_buckets
        on
            customer_changes.customer_id = category_first_buckets.customer_id
            and customer_changes.as_of_date >= category_first_buckets.first_as_of_date
    left join category_buckets
        on
            customer_changes.customer_id = category_buckets.customer_id
            and customer_changes.as_of_date = category_buckets.as_of_date
            and category_first_buckets.product_category = category_buckets.product_category
),

category_totals as (
    select
        customer_id,
        as_of_date,
        product_category,
        {{ running_total('item_line_count', ['customer_id', 'product_category']) }} as item_line_count,
        {{ running_total('item_amount', ['customer_id', 'product_category']) }} as item_amount,
        {{ running_total('returned_item_count', ['customer_id', 'product_category']) }} as returned_item_count,
        {{ running_total('refund_amount', ['customer_id', 'product_category']) }} as refund_amount
    from category_changes
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

customer_running_totals as (
    select
        *,
        {{ next_change_as_of_date(['customer_id']) }} as next_change_as_of_date
    from customer_totals
),

customer_totals_as_of as (
    select
        customer_running_totals.customer_id,
        as_of_dates.as_of_date,
        customer_running_totals.top_category,
        customer_running_totals.top_category_amount,
        customer_running_totals.category_count,
        customer_running_totals.item_line_count,
        customer_running_totals.item_amount,
        customer_running_totals.returned_item_count,
        customer_running_totals.refund_amount
    from customer_running_totals
    inner join as_of_dates
        on {{ spine_dates_until_next_change('customer_running_totals', 'as_of_dates') }}
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
    from customer_totals_as_of
)

select * from final
