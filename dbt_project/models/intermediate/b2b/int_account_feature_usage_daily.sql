{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'feature_key', 'usage_date'],
    )
}}

with

usage_events as (
    select * from {{ ref('stg_product__usage_events') }}
),

feature_events as (
    select
        account_id,
        feature_key,
        cast(occurred_at as date) as usage_date,
        user_email
    from usage_events
    where
        not is_future_dated
        and account_id is not null
        and feature_key is not null
    {% if is_incremental() -%}
            and cast(occurred_at as date)
            >= {{ reprocess_from_date('max(existing.usage_date)', var('usage_daily_reprocess_days')) }}
        {%- endif %}
),

feature_days as (
    select
        account_id,
        feature_key,
        usage_date,
        cast(count(*) as {{ dbt.type_int() }}) as event_count,
        cast(count(distinct user_email) as {{ dbt.type_int() }}) as user_count
    from feature_events
    group by account_id, feature_key, usage_date
),

final as (
    select * from feature_days
)

select * from final
