{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'user_email', 'usage_date'],
    )
}}

with

usage_events as (
    select * from {{ ref('stg_product__usage_events') }}
),

valid_events as (
    select
        account_id,
        coalesce(user_email, 'unknown') as user_email,
        cast(occurred_at as date) as usage_date,
        product_session_id,
        event_name,
        case when not is_duration_negative then duration_seconds end as duration_seconds
    from usage_events
    where
        not is_future_dated
        and account_id is not null
    {% if is_incremental() -%}
            {#- Late events land within a few days; re-aggregate those days. -#}
            and cast(occurred_at as date)
            >= {{ reprocess_from_date('max(existing.usage_date)', var('usage_daily_reprocess_days')) }}
        {%- endif %}
),

user_days as (
    select
        account_id,
        user_email,
        usage_date,
        count(*) as event_count,
        sum(case when event_name = 'login' then 1 else 0 end) as login_count,
        count(distinct product_session_id) as session_count,
        coalesce(sum(duration_seconds), 0) as duration_seconds
    from valid_events
    group by account_id, user_email, usage_date
),

final as (
    select
        account_id,
        user_email,
        usage_date,
        cast(event_count as {{ dbt.type_int() }}) as event_count,
        cast(login_count as {{ dbt.type_int() }}) as login_count,
        cast(session_count as {{ dbt.type_int() }}) as session_count,
        cast(duration_seconds as {{ dbt.type_bigint() }}) as duration_seconds
    from user_days
)

select * from final
