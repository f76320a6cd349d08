{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'as_of_date'],
    )
}}

{%- set trend_weeks = 12 %}

with

as_of_dates as (
    {{ b2b_as_of_dates_to_build() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

usage_daily as (
    select * from {{ ref('int_account_usage_daily') }}
),

user_usage_daily as (
    select * from {{ ref('int_account_user_usage_daily') }}
),

feature_usage_daily as (
    select * from {{ ref('int_account_feature_usage_daily') }}
),

account_spine as (
    select
        accounts.account_id,
        as_of_dates.as_of_date
    from accounts
    inner join as_of_dates
        on cast(accounts.created_at as date) < as_of_dates.as_of_date
    where
        not accounts.is_future_dated
),

usage_in_window as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        usage_daily.usage_date,
        usage_daily.event_count,
        usage_daily.login_count,
        usage_daily.session_count,
        usage_daily.active_user_count,
        usage_daily.duration_seconds,
        {{ b2b_days_between('usage_daily.usage_date', 'account_spine.as_of_date') }} as days_ago
    from account_spine
    inner join usage_daily
        on
            account_spine.account_id = usage_daily.account_id
            and account_spine.as_of_date > usage_daily.usage_date
            and usage_daily.usage_date >= {{ b2b_days_before('account_spine.as_of_date', 90) }}
),

usage_windows as (
    select
        account_id,
        as_of_date,
        sum(case when days_ago <= 7 then event_count else 0 end) as event_count_7d,
        sum(case when days_ago <= 30 then event_count else 0 end) as event_count_30d,
        sum(event_count) as event_count_90d,
        sum(case when days_ago <= 30 then login_count else 0 end) as login_count_30d,
        sum(case when days_ago <= 30 then session_count else 0 end) as session_count_30d,
        sum(case when days_ago <= 7 then 1 else 0 end) as active_days_7d,
        sum(case when days_ago <= 30 then 1 else 0 end) as active_days_30d,
        count(*) as active_days_90d,
        sum(case when days_ago <= 30 then active_user_count else 0 end) as user_days_30d,
        sum(case when days_ago <= 30 then duration_seconds else 0 end) / 60.0 as usage_minutes_30d,
        min(days_ago) as days_since_last_usage
    from usage_in_window
    group by account_id, as_of_date
),

user_activity_30d as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        user_usage_daily.user_email,
        count(*) as active_days,
        max(
            case
                when user_usage_daily.usage_date >= {{ b2b_days_before('account_spine.as_of_date', 7) }} then 1
                else 0
            end
        ) as was_active_7d
    from account_spine
    inner join user_usage_daily
        on
            account_spine.account_id = user_usage_daily.account_id
            and account_spine.as_of_date > user_usage_daily.usage_date
            and user_usage_daily.usage_date >= {{ b2b_days_before('account_spine.as_of_date', 30) }}
    where user_usage_daily.user_email <> 'unknown'
    group by account_spine.account_id, account_spine.as_of_date, user_usage_daily.user_email
),

users_30d as (
    select
        account_id,
        as_of_date,
        count(*) as active_users_30d,
        sum(was_active_7d) as active_users_7d,
        {#- Power users: active on at least a third of the days. -#}
        sum(case when active_days >= 10 then 1 else 0 end) as power_users_30d
    from user_activity_30d
    group by account_id, as_of_date
),

features_in_window as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        count(distinct case
            when feature_usage_daily.usage_date >= {{ b2b_days_before('account_spine.as_of_date', 30) }}
                then feature_usage_daily.feature_key
        end) as features_used_30d,
        count(distinct feature_usage_daily.feature_key) as features_used_90d
    from account_spine
    inner join feature_usage_daily
        on
            account_spine.account_id = feature_usage_daily.account_id
            and account_spine.as_of_date > feature_usage_daily.usage_date
            and feature_usage_daily.usage_date >= {{ b2b_days_before('account_spine.as_of_date', 90) }}
    group by account_spine.account_id, account_spine.as_of_date
),

feature_first_use as (
    select
        feature_key,
        min(usage_date) as first_used_date
    from feature_usage_daily
    group by feature_key
),

catalog_size as (
    {#- Features any account had used before the as-of date: the catalog known then. -#}
    select
        as_of_dates.as_of_date,
        count(feature_first_use.feature_key) as feature_catalog_size
    from as_of_dates
    left join feature_first_use
        on as_of_dates.as_of_date > feature_first_use.first_used_date
    group by as_of_dates.as_of_date
),

weekly_usage as (
    select
        account_id,
        as_of_date,
        cast(floor(cast(days_ago - 1 as double precision) / 7) as integer) as weeks_ago,
        sum(event_count) as event_count
    from usage_in_window
    where days_ago <= {{ trend_weeks * 7 }}
    group by
        account_id,
        as_of_date,
        cast(floor(cast(days_ago - 1 as double precision) / 7) as integer)
),

trend_weeks as (
    select cast(week_number as integer) as weeks_ago
    from generate_series(0, {{ trend_weeks - 1 }}) as week_numbers (week_number)
),

week_grid as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        trend_weeks.weeks_ago
    from account_spine
    cross join trend_weeks
),

usage_trend as (
    select
        week_grid.account_id,
        week_grid.as_of_date,
        {#- Slope of weekly events against time (oldest week first), per week. -#}
        regr_slope(
            cast(coalesce(weekly_usage.event_count, 0) as double precision),
            cast({{ trend_weeks - 1 }} - week_grid.weeks_ago as double precision)
        ) as usage_trend_slope,
        avg(cast(coalesce(weekly_usage.event_count, 0) as double precision)) as avg_weekly_events
    from week_grid
    left join weekly_usage
        on
            week_grid.account_id = weekly_usage.account_id
            and week_grid.as_of_date = weekly_usage.as_of_date
            and week_grid.weeks_ago = weekly_usage.weeks_ago
    group by week_grid.account_id, week_grid.as_of_date
),

final as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        cast(coalesce(usage_windows.event_count_7d, 0) as integer) as event_count_7d,
        cast(coalesce(usage_windows.event_count_30d, 0) as integer) as event_count_30d,
        cast(coalesce(usage_windows.event_count_90d, 0) as integer) as event_count_90d,
        cast(coalesce(usage_windows.login_count_30d, 0) as integer) as login_count_30d,
        cast(coalesce(usage_windows.session_count_30d, 0) as integer) as session_count_30d,
        cast(coalesce(usage_windows.usage_minutes_30d, 0) as double precision) as usage_minutes_30d,
        cast(coalesce(usage_windows.active_days_7d, 0) as integer) as active_days_7d,
        cast(coalesce(usage_windows.active_days_30d, 0) as integer) as active_days_30d,
        cast(coalesce(usage_windows.active_days_90d, 0) as integer) as active_days_90d,
        cast(usage_windows.days_since_last_usage as integer) as days_since_last_usage,
        cast(coalesce(users_30d.active_users_7d, 0) as integer) as active_users_7d,
        cast(coalesce(users_30d.active_users_30d, 0) as integer) as active_users_30d,
        coalesce({{ b2b_safe_ratio('usage_windows.user_days_30d', 30) }}, 0) as avg_daily_active_users_30d,
        coalesce({{ b2b_safe_ratio('users_30d.active_users_7d', 'users_30d.active_users_30d') }}, 0)
            as weekly_to_monthly_active_ratio,
        coalesce({{ b2b_safe_ratio('users_30d.power_users_30d', 'users_30d.active_users_30d') }}, 0)
            as power_user_ratio_30d,
        cast(coalesce(features_in_window.features_used_30d, 0) as integer) as features_used_30d,
        cast(coalesce(features_in_window.features_used_90d, 0) as integer) as features_used_90d,
        coalesce({{ b2b_safe_ratio('features_in_window.features_used_30d', 'catalog_size.feature_catalog_size') }}, 0)
            as feature_adoption_rate_30d,
        coalesce({{ b2b_safe_ratio('usage_windows.event_count_30d', 'usage_windows.event_count_90d / 3.0') }}, 0)
            as usage_30d_vs_90d_ratio,
        cast(coalesce(usage_trend.usage_trend_slope, 0) as double precision) as usage_trend_slope,
        coalesce({{ b2b_safe_ratio('usage_trend.usage_trend_slope', 'usage_trend.avg_weekly_events') }}, 0)
            as usage_trend_pct
    from account_spine
    left join catalog_size
        on account_spine.as_of_date = catalog_size.as_of_date
    left join usage_windows
        on
            account_spine.account_id = usage_windows.account_id
            and account_spine.as_of_date = usage_windows.as_of_date
    left join users_30d
        on
            account_spine.account_id = users_30d.account_id
            and account_spine.as_of_date = users_30d.as_of_date
    left join features_in_window
        on
            account_spine.account_id = features_in_window.account_id
            and account_spine.as_of_date = features_in_window.as_of_date
    left join usage_trend
        on
            account_spine.account_id = usage_trend.account_id
            and account_spine.as_of_date = usage_trend.as_of_date
)

select * from final
