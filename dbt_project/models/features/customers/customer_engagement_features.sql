{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    post_hook="{{ prune_dates_outside_spine() }}",
    on_schema_change='fail',
) }}
{#-
    Web, cart and support engagement per unified customer per as-of date, from days strictly
    before it. Customers appear once they have any activity (orders included, so buyers of an
    orders-only export get zeros here rather than no row). Lifetime totals are running sums over
    buckets of the dates built, windows read only the days of the longest window (see
    spine_rollups).
-#}
{%- set windows = var('customer_feature_windows_days') -%}
{%- set longest = windows | max -%}
{%- set window_features = ['sessions', 'page_views', 'cart_adds', 'cart_abandons', 'support_tickets', 'active_days'] -%}

with

engagement_days as (
    select * from {{ ref('int_customer_engagement_days') }}
),

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

engagement_buckets as (
    {{ spine_bucket_totals(
        'engagement_days', 'as_of_dates', ['customer_id'], 'activity_date',
        sum_columns=['session_count', 'ticket_count'],
        max_columns=['last_session_date', 'last_ticket_date'],
    ) }}
),

running_totals as (
    select
        customer_id,
        as_of_date,
        {{ next_change_as_of_date(['customer_id']) }} as next_change_as_of_date,
        {{ running_total('session_count', ['customer_id']) }} as lifetime_sessions,
        {{ running_total('ticket_count', ['customer_id']) }} as lifetime_support_tickets,
        {{ running_total('last_session_date', ['customer_id'], 'max') }} as last_session_date,
        {{ running_total('last_ticket_date', ['customer_id'], 'max') }} as last_ticket_date,
        {{ running_total('event_date', ['customer_id'], 'max') }} as last_activity_date
    from engagement_buckets
),

recent_engagement_days as (
    {{ recent_days_before_as_of('engagement_days', 'as_of_dates', 'activity_date', longest) }}
),

window_totals as (
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
        {{ window_sum('escalated_ticket_count', longest) }} as escalated_tickets_{{ longest }}d
    from recent_engagement_days
    group by customer_id, as_of_date
),

aggregated as (
    select
        running_totals.customer_id,
        as_of_dates.as_of_date,
        {%- for days in windows %}
            {%- for feature in window_features %}
                coalesce(window_totals.{{ feature }}_{{ days }}d, 0) as {{ feature }}_{{ days }}d,
            {%- endfor %}
        {%- endfor %}
        coalesce(window_totals.session_seconds_{{ longest }}d, 0) as session_seconds_{{ longest }}d,
        coalesce(window_totals.escalated_tickets_{{ longest }}d, 0) as escalated_tickets_{{ longest }}d,
        running_totals.lifetime_sessions,
        running_totals.lifetime_support_tickets,
        running_totals.last_session_date,
        running_totals.last_ticket_date,
        running_totals.last_activity_date
    {{ from_running_totals_with_windows() }}
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
