{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    What web sessions say about browsers: one row per browser (the device id, else the cookie
    of a cookie-only session), cookie, email and signed-in shop customer seen together, keyed
    by the hash of the browser id. A table, because the session log is large and both the
    records and the identifiers of the graph read it.
-#}
with

web_sessions as (
    select * from {{ ref('stg_commerce__web_sessions') }}
),

browser_sessions as (
    select
        {{ web_browser_id('device_id', 'cookie_id') }} as browser_id,
        device_id,
        cookie_id,
        email,
        customer_id,
        started_at
    from web_sessions
    where device_id is not null or cookie_id is not null
),

device_links as (
    select
        browser_id,
        device_id,
        cookie_id,
        email,
        customer_id as shop_customer_id,
        min(started_at) as first_session_at,
        count(*) as session_count
    from browser_sessions
    group by browser_id, device_id, cookie_id, email, customer_id
),

final as (
    select
        {{ identity_node_key('web_device', hash_pii('browser_id')) }} as node_key,
        {{ hash_pii('browser_id') }} as device_key,
        browser_id,
        device_id,
        {{ hash_pii('cookie_id') }} as cookie_key,
        email,
        shop_customer_id,
        first_session_at,
        session_count
    from device_links
)

select * from final
