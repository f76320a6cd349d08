{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Every touchpoint of a known customer, the rows of the journey's timeline: orders (by order
    channel), web and app sessions (by traffic source) and support tickets. One row per
    touchpoint; `touchpoint_id` is unique across kinds.
-#}
with

orders as (
    select * from {{ ref('int_commerce_orders') }}
),

web_sessions as (
    select * from {{ ref('int_commerce_web_sessions') }}
),

session_sources as (
    select * from {{ ref('stg_commerce__web_sessions') }}
),

tickets as (
    select * from {{ ref('int_commerce_support_tickets') }}
),

touchpoints as (
    select
        'order:' || cast(order_id as {{ dbt.type_string() }}) as touchpoint_id,
        customer_id,
        'order' as touchpoint_type,
        order_channel as channel,
        cast(order_total as {{ dbt.type_float() }}) as touchpoint_value,
        ordered_at as occurred_at
    from orders

    union all

    select
        'session:' || web_sessions.web_session_id as touchpoint_id,
        web_sessions.customer_id,
        'web_session' as touchpoint_type,
        coalesce(session_sources.traffic_source, 'unknown') as channel,
        cast(web_sessions.page_view_count as {{ dbt.type_float() }}) as touchpoint_value,
        web_sessions.started_at as occurred_at
    from web_sessions
    left join session_sources
        on web_sessions.web_session_id = session_sources.web_session_id
    where web_sessions.customer_id is not null

    union all

    select
        'ticket:' || cast(ticket_id as {{ dbt.type_string() }}) as touchpoint_id,
        customer_id,
        'support_ticket' as touchpoint_type,
        'support' as channel,
        cast(csat_score as {{ dbt.type_float() }}) as touchpoint_value,
        created_at as occurred_at
    from tickets
    where customer_id is not null
),

final as (
    select
        touchpoint_id,
        customer_id,
        touchpoint_type,
        channel,
        touchpoint_value,
        occurred_at
    from touchpoints
    where occurred_at is not null
)

select * from final
