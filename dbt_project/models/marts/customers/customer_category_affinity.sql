{#-
    Category affinity as the full distribution, not only the top category: every category a
    unified customer bought before the run's as-of date, with its lines, amount, share of the
    customer's lines and amount, and rank (by amount, then lines, then name). Returns do not
    reduce the distribution (they show in returned_item_count).
-#}
with

run_date as (
    {{ run_as_of_date() }}
),

category_days as (
    select * from {{ ref('int_customer_category_days') }}
),

category_totals as (
    select
        category_days.customer_id,
        category_days.product_category,
        sum(category_days.item_line_count) as item_line_count,
        sum(category_days.item_amount) as item_amount,
        sum(category_days.returned_item_count) as returned_item_count
    from category_days
    cross join run_date
    where category_days.activity_date < run_date.as_of_date
    group by category_days.customer_id, category_days.product_category
),

bought as (
    select
        *,
        sum(item_line_count) over (partition by customer_id) as customer_line_count,
        sum(item_amount) over (partition by customer_id) as customer_amount,
        row_number() over (
            partition by customer_id
            order by item_amount desc, item_line_count desc, product_category asc
        ) as affinity_rank
    from category_totals
    where item_line_count > 0
),

final as (
    select
        cast(bought.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(bought.product_category as {{ dbt.type_string() }}) as product_category,
        cast(run_date.as_of_date as date) as as_of_date,
        cast(bought.affinity_rank as {{ dbt.type_int() }}) as affinity_rank,
        cast(bought.item_line_count as {{ dbt.type_int() }}) as item_line_count,
        cast(bought.item_amount as numeric(18, 2)) as item_amount,
        cast(bought.returned_item_count as {{ dbt.type_int() }}) as returned_item_count,
        cast(
            {{ safe_ratio('bought.item_line_count', 'bought.customer_line_count') }} as {{ dbt.type_float() }}
        ) as line_share,
        cast({{ safe_ratio('bought.item_amount', 'bought.customer_amount') }} as {{ dbt.type_float() }}) as amount_share
    from bought
    cross join run_date
)

select * from final
