{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    What web sessions say about devices (or cookies): one row per device and the email and
    signed-in shop customer seen with it, keyed by the hash of the device id. A table, because
    the session log is large and both the records and the identifiers of the graph read it.
-#}
with

web_sessions as (
    select * from {{ ref('stg_commerce__web_sessions') }}
),

device_links as (
    select
        device_id,
        email,
        customer_id as shop_customer_id,
        min(started_at) as first_session_at,
        count(*) as session_count
    from web_sessions
    where device_id is not null
    group by device_id, email, customer_id
),

final as (
    select
        {{ identity_node_key('web_device', hash_pii('device_id')) }} as node_key,
        {{ hash_pii('device_id') }} as device_key,
        device_id,
        email,
        shop_customer_id,
        first_session_at,
        session_count
    from device_links
)

select * from final
