{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Web sessions attributed to the unified customer: by the signed-in shop customer, else by
    the profile the session's browser (device, else cookie) resolved to; anonymous devices stay unattributed. Cart
    activity is summed per session: an abandoned cart is a session with a cart add and no
    purchase.
-#}
with

web_sessions as (
    select * from {{ ref('stg_commerce__web_sessions') }}
),

cart_events as (
    select * from {{ ref('stg_commerce__cart_events') }}
),

customer_map as (
    select * from {{ ref('int_identity_customer_map') }}
),

web_devices as (
    select * from {{ ref('int_identity_web_devices') }}
),

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

device_customers as (
    select distinct
        web_devices.browser_id,
        members.customer_id
    from web_devices
    inner join members
        on web_devices.node_key = members.node_key
    where members.customer_id is not null
),

session_carts as (
    select
        web_session_id,
        sum(case when cart_event_type = 'cart_add' then 1 else 0 end) as cart_add_count,
        sum(case when cart_event_type = 'purchase' then 1 else 0 end) as purchase_event_count
    from cart_events
    group by web_session_id
),

final as (
    select
        web_sessions.web_session_id,
        coalesce(customer_map.customer_id, web_sessions.customer_id, device_customers.customer_id) as customer_id,
        cast(web_sessions.started_at as date) as session_date,
        web_sessions.started_at,
        web_sessions.page_view_count,
        web_sessions.session_duration_seconds,
        coalesce(session_carts.cart_add_count, 0) as cart_add_count,
        coalesce(session_carts.cart_add_count, 0) > 0
        and coalesce(session_carts.purchase_event_count, 0) = 0 as is_cart_abandoned
    from web_sessions
    left join customer_map
        on web_sessions.customer_id = customer_map.commerce_customer_id
    left join device_customers
        on {{ web_browser_id('web_sessions.device_id', 'web_sessions.cookie_id') }} = device_customers.browser_id
    left join session_carts
        on web_sessions.web_session_id = session_carts.web_session_id
)

select * from final
