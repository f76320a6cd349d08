{#-
    Product intent 0-100 per unified customer and product, and per customer and category, as
    of the run's as-of date. Each signal in the last `intent_lookback_days` (strictly before the
    as-of date) adds its weight from var `intent_signal_weights` (product view, cart add,
    search), halved every `intent_half_life_days` of age; the sum is capped at 100. Signals at
    or before the customer's last purchase of that product (or category) are spent and do not
    count. A product row has views and cart adds; a category row has all three, searches
    included. `is_high_intent` at var `intent_alert_threshold` and above.
-#}
{%- set weights = var('intent_signal_weights') -%}
{%- set half_life = var('intent_half_life_days') -%}
{%- set run_start = 'cast(run_date.as_of_date as ' ~ dbt.type_timestamp() ~ ')' -%}

with

run_date as (
    {{ run_as_of_date() }}
),

signals as (
    select * from {{ ref('int_customer_intent_signals') }}
),

orders as (
    select * from {{ ref('int_commerce_orders') }}
),

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

recent_signals as (
    select
        signals.customer_id,
        signals.signal_type,
        signals.product_id,
        signals.product_category,
        signals.occurred_at,
        {{ dbt.datediff('signals.occurred_at', run_start, 'second') }}
        / 86400.0 as age_days
    from signals
    cross join run_date
    where
        signals.occurred_at < {{ run_start }}
        and signals.occurred_at >= {{ dbt.dateadd('day', -1 * var('intent_lookback_days'), run_start) }}
),

purchased_lines as (
    select
        orders.customer_id,
        order_items.product_id,
        order_items.product_category,
        orders.ordered_at
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    cross join run_date
    where orders.ordered_at < {{ run_start }}
),

last_product_purchases as (
    select
        customer_id,
        product_id,
        max(ordered_at) as last_purchased_at
    from purchased_lines
    where product_id is not null
    group by customer_id, product_id
),

last_category_purchases as (
    select
        customer_id,
        product_category,
        max(ordered_at) as last_purchased_at
    from purchased_lines
    where product_category is not null
    group by customer_id, product_category
),

weighted_signals as (
    select
        customer_id,
        signal_type,
        product_id,
        product_category,
        occurred_at,
        (case signal_type
            {%- for signal_type, weight in weights.items() %}
                when '{{ signal_type }}' then {{ weight }}
            {%- endfor %}
            else 0
        end) * power(0.5, age_days / {{ half_life }}) as decayed_weight
    from recent_signals
),

product_level as (
    select
        weighted_signals.customer_id,
        'product' as intent_level,
        weighted_signals.product_id as item_key,
        min(weighted_signals.product_category) as product_category,
        sum(weighted_signals.decayed_weight) as raw_score,
        sum(case when weighted_signals.signal_type = 'product_view' then 1 else 0 end) as view_count,
        sum(case when weighted_signals.signal_type = 'cart_add' then 1 else 0 end) as cart_add_count,
        0 as search_count,
        max(weighted_signals.occurred_at) as last_signal_at
    from weighted_signals
    left join last_product_purchases
        on
            weighted_signals.customer_id = last_product_purchases.customer_id
            and weighted_signals.product_id = last_product_purchases.product_id
    where
        weighted_signals.product_id is not null
        and weighted_signals.signal_type in ('product_view', 'cart_add')
        and (
            last_product_purchases.last_purchased_at is null
            or weighted_signals.occurred_at > last_product_purchases.last_purchased_at
        )
    group by weighted_signals.customer_id, weighted_signals.product_id
),

category_level as (
    select
        weighted_signals.customer_id,
        'category' as intent_level,
        weighted_signals.product_category as item_key,
        weighted_signals.product_category,
        sum(weighted_signals.decayed_weight) as raw_score,
        sum(case when weighted_signals.signal_type = 'product_view' then 1 else 0 end) as view_count,
        sum(case when weighted_signals.signal_type = 'cart_add' then 1 else 0 end) as cart_add_count,
        sum(case when weighted_signals.signal_type = 'search' then 1 else 0 end) as search_count,
        max(weighted_signals.occurred_at) as last_signal_at
    from weighted_signals
    left join last_category_purchases
        on
            weighted_signals.customer_id = last_category_purchases.customer_id
            and weighted_signals.product_category = last_category_purchases.product_category
    where
        weighted_signals.product_category is not null
        and (
            last_category_purchases.last_purchased_at is null
            or weighted_signals.occurred_at > last_category_purchases.last_purchased_at
        )
    group by weighted_signals.customer_id, weighted_signals.product_category
),

levels as (
    select * from product_level
    union all
    select * from category_level
),

final as (
    select
        cast(levels.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(levels.intent_level as {{ dbt.type_string() }}) as intent_level,
        cast(levels.item_key as {{ dbt.type_string() }}) as item_key,
        cast(levels.product_category as {{ dbt.type_string() }}) as product_category,
        cast(run_date.as_of_date as date) as as_of_date,
        cast(round(cast(least(levels.raw_score, 100) as numeric(9, 4)), 1) as numeric(5, 1)) as intent_score,
        cast(levels.view_count as {{ dbt.type_int() }}) as view_count,
        cast(levels.cart_add_count as {{ dbt.type_int() }}) as cart_add_count,
        cast(levels.search_count as {{ dbt.type_int() }}) as search_count,
        cast(levels.last_signal_at as {{ dbt.type_timestamp() }}) as last_signal_at,
        cast(levels.raw_score >= {{ var('intent_alert_threshold') }} as {{ dbt.type_boolean() }}) as is_high_intent
    from levels
    cross join run_date
)

select * from final
