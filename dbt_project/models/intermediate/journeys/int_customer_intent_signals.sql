{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Every product-interest signal of a known customer: product views and site searches (web
    events) and cart adds (cart events), attributed through the session's customer
    (int_commerce_web_sessions). Views and cart adds name a product and its category; a search
    names the category its results fell in. Anonymous sessions are left out.
-#}
with

web_events as (
    select * from {{ ref('stg_commerce__web_events') }}
),

cart_events as (
    select * from {{ ref('stg_commerce__cart_events') }}
),

web_sessions as (
    select * from {{ ref('int_commerce_web_sessions') }}
),

products as (
    select * from {{ ref('int_commerce_products') }}
),

signals as (
    select
        web_events.web_session_id,
        web_events.web_event_type as signal_type,
        web_events.product_id,
        coalesce(products.product_category, web_events.category) as product_category,
        web_events.search_query,
        web_events.occurred_at
    from web_events
    left join products
        on web_events.product_id = products.product_id
    where web_events.web_event_type in ('product_view', 'search')

    union all

    select
        cart_events.web_session_id,
        'cart_add' as signal_type,
        cart_events.product_id,
        products.product_category,
        cast(null as {{ dbt.type_string() }}) as search_query,
        cart_events.occurred_at
    from cart_events
    left join products
        on cart_events.product_id = products.product_id
    where cart_events.cart_event_type = 'cart_add'
),

final as (
    select
        web_sessions.customer_id,
        signals.signal_type,
        signals.product_id,
        signals.product_category,
        signals.search_query,
        signals.occurred_at,
        cast(signals.occurred_at as date) as signal_date,
        signals.web_session_id
    from signals
    inner join web_sessions
        on signals.web_session_id = web_sessions.web_session_id
    where
        web_sessions.customer_id is not null
        and signals.occurred_at is not null
)

select * from final
