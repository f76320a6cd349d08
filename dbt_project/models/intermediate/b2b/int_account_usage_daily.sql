with

user_usage_daily as (
    select * from {{ ref('int_account_user_usage_daily') }}
),

feature_usage_daily as (
    select * from {{ ref('int_account_feature_usage_daily') }}
),

account_days as (
    select
        account_id,
        usage_date,
        sum(event_count) as event_count,
        sum(login_count) as login_count,
        sum(session_count) as session_count,
        count(distinct case when user_email <> 'unknown' then user_email end) as active_user_count,
        sum(duration_seconds) as duration_seconds
    from user_usage_daily
    group by account_id, usage_date
),

account_feature_days as (
    select
        account_id,
        usage_date,
        count(*) as distinct_feature_count
    from feature_usage_daily
    group by account_id, usage_date
),

final as (
    select
        account_days.account_id,
        account_days.usage_date,
        cast(account_days.event_count as {{ dbt.type_int() }}) as event_count,
        cast(account_days.login_count as {{ dbt.type_int() }}) as login_count,
        cast(account_days.session_count as {{ dbt.type_int() }}) as session_count,
        cast(account_days.active_user_count as {{ dbt.type_int() }}) as active_user_count,
        cast(coalesce(account_feature_days.distinct_feature_count, 0) as {{ dbt.type_int() }})
            as distinct_feature_count,
        cast(account_days.duration_seconds as {{ dbt.type_bigint() }}) as duration_seconds
    from account_days
    left join account_feature_days
        on
            account_days.account_id = account_feature_days.account_id
            and account_days.usage_date = account_feature_days.usage_date
)

select * from final
