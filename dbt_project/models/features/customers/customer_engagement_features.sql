{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='fail',
) }}
{#-
    Web, cart and support engagement per unified customer per as-of date, from days strictly
    before it. Customers appear once they have any activity (orders included, so buyers of an
    orders-only export get zeros here rather than no row).
-#}
{%- set windows = var('customer_feature_windows_days') -%}
{%- set longest = windows | max -%}

with

engagement_days as (
    select * from {{ ref('int_customer_engagement_days') }}
),

as_of_dates as (
    {{ as_of_dates_to_build(ref('int_as_of_dates')) }}
),

engagement_days_before_as_of as (
    {{ point_in_time_pairs(
        'engagement_days', 'as_of_dates', ['customer_id'], 'activity_date',
        sum_columns=[
            'session_count', 'page_view_count', 'session_seconds', 'cart_add_count',
            'abandoned_cart_count', 'ticket_count', 'escalated_ticket_count',
        ],
        max_columns=['last_session_date', 'last_ticket_date'],
    ) }}
),

aggregated as (
    select
        customer_id,
        as_of_date,
        {%- for days in windows %}
            {{ window_sum('session_count', days) }} as sessions_{{ days }}d,
            {{ window_sum('page_view_count', days) }} as page_views_{{ days }}d,
            {{ window_sum('cart_add_count', days) }} as cart_adds_{{ days }}d,
            {{ window_sum('abandoned_cart_count', days) }} as cart_abandons_{{ days }}d,
            {{ window_sum('ticket_count', days) }} as support_tickets_{{ days }}d,
            {{ window_count(days) }} as active_days_{{ days }}d,
        {%- endfor %}
        {{ window_sum('session_seconds', longest) }} as session_seconds_{{ longest }}d,
        {{ window_sum('escalated_ticket_count', longest) }} as escalated_tickets_{{ longest }}d,
        sum(session_count) as lifetime_sessions,
        sum(ticket_count) as lifetime_support_tickets,
        max(last_session_date) as last_session_date,
        max(last_ticket_date) as last_ticket_date,
        max(event_date) as last_activity_date
    from engagement_days_before_as_of
    group by customer_id, as_of_date
),

final as (
    select
        customer_id,
        as_of_date,
        {%- for days in windows %}
            cast(sessions_{{ days }}d as {{ dbt.type_int() }}) as sessions_{{ days }}d,
            cast(page_views_{{ days }}d as {{ dbt.type_int() }}) as page_views_{{ days }}d,
            cast(cart_adds_{{ days }}d as {{ dbt.type_int() }}) as cart_adds_{{ days }}d,
            cast(cart_abandons_{{ days }}d as {{ dbt.type_int() }}) as cart_abandons_{{ days }}d,
            cast(support_tickets_{{ days }}d as {{ dbt.type_int() }}) as support_tickets_{{ days }}d,
            cast(active_days_{{ days }}d as {{ dbt.type_int() }}) as active_days_{{ days }}d,
        {%- endfor %}
        {{ safe_ratio('page_views_' ~ longest ~ 'd', 'sessions_' ~ longest ~ 'd') }}
            as pages_per_session_{{ longest }}d,
        {{ safe_ratio('session_seconds_' ~ longest ~ 'd', 'sessions_' ~ longest ~ 'd') }} / 60
            as avg_session_minutes_{{ longest }}d,
        cast(escalated_tickets_{{ longest }}d as {{ dbt.type_int() }}) as escalated_tickets_{{ longest }}d,
        cast(lifetime_sessions as {{ dbt.type_int() }}) as lifetime_sessions,
        cast(lifetime_support_tickets as {{ dbt.type_int() }}) as lifetime_support_tickets,
        {{ days_between('last_session_date', 'as_of_date') }} as days_since_last_session,
        {{ days_between('last_ticket_date', 'as_of_date') }} as days_since_last_ticket,
        {{ days_between('last_activity_date', 'as_of_date') }} as days_since_last_activity
    from aggregated
)

select * from final
