{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Everything a unified customer did per day, orders included: web sessions, cart adds and
    abandoned carts, support tickets. The pre-aggregate of the engagement features; a source
    that is absent contributes nothing.
-#}
with

web_sessions as (
    select * from {{ ref('int_commerce_web_sessions') }}
),

tickets as (
    select * from {{ ref('int_commerce_support_tickets') }}
),

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

activities as (
    select
        customer_id,
        session_date as activity_date,
        1 as session_count,
        coalesce(page_view_count, 0) as page_view_count,
        coalesce(session_duration_seconds, 0) as session_seconds,
        cart_add_count,
        case when is_cart_abandoned then 1 else 0 end as abandoned_cart_count,
        0 as ticket_count,
        0 as escalated_ticket_count,
        0 as order_count
    from web_sessions
    where customer_id is not null

    union all

    select
        customer_id,
        ticket_date as activity_date,
        0 as session_count,
        0 as page_view_count,
        0 as session_seconds,
        0 as cart_add_count,
        0 as abandoned_cart_count,
        1 as ticket_count,
        case when is_escalated then 1 else 0 end as escalated_ticket_count,
        0 as order_count
    from tickets
    where customer_id is not null

    union all

    select
        customer_id,
        order_date as activity_date,
        0 as session_count,
        0 as page_view_count,
        0 as session_seconds,
        0 as cart_add_count,
        0 as abandoned_cart_count,
        0 as ticket_count,
        0 as escalated_ticket_count,
        order_count
    from order_days
),

daily as (
    select
        customer_id,
        activity_date,
        sum(session_count) as session_count,
        sum(page_view_count) as page_view_count,
        sum(session_seconds) as session_seconds,
        sum(cart_add_count) as cart_add_count,
        sum(abandoned_cart_count) as abandoned_cart_count,
        sum(ticket_count) as ticket_count,
        sum(escalated_ticket_count) as escalated_ticket_count,
        sum(order_count) as order_count
    from activities
    group by customer_id, activity_date
),

final as (
    select
        customer_id,
        activity_date,
        session_count,
        page_view_count,
        session_seconds,
        cart_add_count,
        abandoned_cart_count,
        ticket_count,
        escalated_ticket_count,
        order_count,
        case when session_count > 0 then activity_date end as last_session_date,
        case when ticket_count > 0 then activity_date end as last_ticket_date
    from daily
)

select * from final
