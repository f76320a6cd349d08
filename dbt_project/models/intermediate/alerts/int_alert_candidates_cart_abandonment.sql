{#-
    Carts abandoned the day before the as-of date: a shop customer's cart add with no purchase
    by the same customer within var `alert_cart_abandonment_hours`; adds whose window had not
    closed by the as-of date wait for the next run. One alert per customer.
-#}
{%- set cart_hours = var('alert_cart_abandonment_hours') -%}
{%- set run_start = 'cast(run_date.as_of_date as ' ~ dbt.type_timestamp() ~ ')' -%}

with

run_date as (
    {{ run_as_of_date() }}
),

cart_events as (
    select * from {{ ref('stg_commerce__cart_events') }}
),

web_sessions as (
    select * from {{ ref('int_commerce_web_sessions') }}
),

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

customer_cart_events as (
    select
        web_sessions.customer_id,
        cart_events.cart_event_type,
        cart_events.occurred_at,
        coalesce(cart_events.quantity, 1) * coalesce(cart_events.unit_price, 0) as cart_value
    from cart_events
    inner join web_sessions
        on cart_events.web_session_id = web_sessions.web_session_id
),

cart_adds as (
    select customer_cart_events.*
    from customer_cart_events
    cross join run_date
    where
        customer_cart_events.cart_event_type = 'cart_add'
        and customer_cart_events.customer_id is not null
        and customer_cart_events.occurred_at >= {{ dbt.dateadd('hour', -24 - cart_hours, run_start) }}
        and customer_cart_events.occurred_at < {{ dbt.dateadd('hour', -1 * cart_hours, run_start) }}
),

purchases as (
    select
        customer_id,
        occurred_at
    from customer_cart_events
    where cart_event_type = 'purchase'
),

abandoned_carts as (
    select
        cart_adds.customer_id,
        count(*) as abandoned_add_count,
        sum(cart_adds.cart_value) as cart_value,
        max(cart_adds.occurred_at) as last_cart_add_at
    from cart_adds
    where not exists (
            select 1
            from purchases
            where
                purchases.customer_id = cart_adds.customer_id
                and purchases.occurred_at >= cart_adds.occurred_at
                and purchases.occurred_at <= {{ dbt.dateadd('hour', cart_hours, 'cart_adds.occurred_at') }}
        )
    group by cart_adds.customer_id
),

final as (
    select
        {{ alert_candidate(
            alert_type='cart_abandonment',
            entity_type='customer',
            entity_id='abandoned_carts.customer_id',
            entity_name="'Customer ' || cast(abandoned_carts.customer_id as " ~ dbt.type_string() ~ ")",
            severity="'medium'",
            title="'Cart Abandoned: Customer ' || cast(abandoned_carts.customer_id as " ~ dbt.type_string() ~ ")
                || ' (' || " ~ alert_money('abandoned_carts.cart_value') ~ " || ')'",
            details=alert_lines([
                "'Cart value: ' || " ~ alert_money('abandoned_carts.cart_value'),
                "'Items added: ' || " ~ alert_number('abandoned_carts.abandoned_add_count'),
                "'Last cart add: ' || cast(abandoned_carts.last_cart_add_at as " ~ dbt.type_string() ~ ") || ' UTC'",
            ]),
            factors=alert_lines([
                "'Added to cart, no purchase within " ~ cart_hours ~ " hours'",
                "'Churn risk: ' || risk_scores.churn_risk_band",
            ]),
            suggested_actions=alert_lines([
                "'Send a cart reminder with the items left behind'",
                "'Offer free shipping or a small discount if the cart is large'",
            ]),
            metric_value='abandoned_carts.cart_value',
            threshold_value=cart_hours,
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from abandoned_carts
    cross join run_date
    left join risk_scores
        on abandoned_carts.customer_id = risk_scores.customer_id
)

select * from final
