{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook="{{ prune_dates_outside_spine() }}",
    )
}}

{%- set trend_weeks = 12 %}
{#- Least-squares constants for x = 0 .. n-1 (see usage_trend). #}
{%- set n = trend_weeks %}
{%- set sum_x = (n * (n - 1)) // 2 %}
{%- set sum_x2 = ((n - 1) * n * (2 * n - 1)) // 6 %}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
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

first_as_of_date as (
    select min(as_of_date) as as_of_date from as_of_dates
),

account_spine as (
    {{ b2b_account_spine('accounts', 'as_of_dates') }}
),

usage_by_as_of as (
    {#-
        Each daily row meets the (at most 13) spine dates whose window holds it: joining the
        small date table first keeps the range join cheap on every warehouse; the account
        spine is joined afterwards on equality only.
    #}
    select
        usage_daily.account_id,
        as_of_dates.as_of_date,
        usage_daily.event_count,
        usage_daily.login_count,
        usage_daily.session_count,
        usage_daily.active_user_count,
        usage_daily.duration_seconds,
        {{ days_between('usage_daily.usage_date', 'as_of_dates.as_of_date') }} as days_ago
    {{ from_days_before_as_of('usage_daily', 'usage_date', 90) }}
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
    from usage_by_as_of
    group by account_id, as_of_date
),

user_activity_30d as (
    select
        user_usage_daily.account_id,
        as_of_dates.as_of_date,
        user_usage_daily.user_email,
        count(*) as active_days,
        max(
            case
                when user_usage_daily.usage_date >= {{ days_before('as_of_dates.as_of_date', 7) }} then 1
                else 0
            end
        ) as was_active_7d
    {{ from_days_before_as_of('user_usage_daily', 'usage_date', 30, "user_usage_daily.user_email <> 'unknown'") }}
    group by user_usage_daily.account_id, as_of_dates.as_of_date, user_usage_daily.user_email
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

feature_recency as (
    {#- Days since each feature's last use, per account and as-of date (90-day window). -#}
    select
        feature_usage_daily.account_id,
        as_of_dates.as_of_date,
        feature_usage_daily.feature_key,
        min({{ days_between('feature_usage_daily.usage_date', 'as_of_dates.as_of_date') }}) as days_since_use
    {{ from_days_before_as_of('feature_usage_daily', 'usage_date', 90) }}
    group by feature_usage_daily.account_id, as_of_dates.as_of_date, feature_usage_daily.feature_key
),

features_in_window as (
    select
        account_id,
        as_of_date,
        sum(case when days_since_use <= 30 then 1 else 0 end) as features_used_30d,
        count(*) as features_used_90d
    from feature_recency
    group by account_id, as_of_date
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
    {#- x = week position, oldest week 0 ... latest week {{ trend_weeks - 1 }}. -#}
    select
        account_id,
        as_of_date,
        {{ trend_weeks - 1 }}
        - cast(floor(cast(days_ago - 1 as {{ dbt.type_float() }}) / 7) as {{ dbt.type_int() }}) as week_position,
        sum(event_count) as event_count
    from usage_by_as_of
    where days_ago <= {{ trend_weeks * 7 }}
    group by
        account_id,
        as_of_date,
        {{ trend_weeks - 1 }} - cast(floor(cast(days_ago - 1 as {{ dbt.type_float() }}) / 7) as {{ dbt.type_int() }})
),

usage_trend as (
    {#-
        Least-squares slope of weekly events over all {{ n }} weeks, weeks without usage
        counting 0. With x fixed at 0..n-1, sum(x) and sum(x^2) are constants and empty weeks
        add nothing to sum(y) or sum(xy), so plain sums over the weeks with usage give the
        exact slope - no dense week grid, the same SQL on every warehouse.
    #}
    select
        account_id,
        as_of_date,
        {{ safe_ratio(
            n ~ ' * sum(week_position * event_count) - ' ~ sum_x ~ ' * sum(event_count)',
            n * sum_x2 - sum_x * sum_x,
        ) }} as usage_trend_slope,
        {{ safe_ratio('sum(event_count)', n) }} as avg_weekly_events
    from weekly_usage
    group by account_id, as_of_date
),

final as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        cast(coalesce(usage_windows.event_count_7d, 0) as {{ dbt.type_int() }}) as event_count_7d,
        cast(coalesce(usage_windows.event_count_30d, 0) as {{ dbt.type_int() }}) as event_count_30d,
        cast(coalesce(usage_windows.event_count_90d, 0) as {{ dbt.type_int() }}) as event_count_90d,
        cast(coalesce(usage_windows.login_count_30d, 0) as {{ dbt.type_int() }}) as login_count_30d,
        cast(coalesce(usage_windows.session_count_30d, 0) as {{ dbt.type_int() }}) as session_count_30d,
        cast(coalesce(usage_windows.usage_minutes_30d, 0) as {{ dbt.type_float() }}) as usage_minutes_30d,
        cast(coalesce(usage_windows.active_days_7d, 0) as {{ dbt.type_int() }}) as active_days_7d,
        cast(coalesce(usage_windows.active_days_30d, 0) as {{ dbt.type_int() }}) as active_days_30d,
        cast(coalesce(usage_windows.active_days_90d, 0) as {{ dbt.type_int() }}) as active_days_90d,
        cast(usage_windows.days_since_last_usage as {{ dbt.type_int() }}) as days_since_last_usage,
        cast(coalesce(users_30d.active_users_7d, 0) as {{ dbt.type_int() }}) as active_users_7d,
        cast(coalesce(users_30d.active_users_30d, 0) as {{ dbt.type_int() }}) as active_users_30d,
        coalesce({{ safe_ratio('usage_windows.user_days_30d', 30) }}, 0) as avg_daily_active_users_30d,
        coalesce({{ safe_ratio('users_30d.active_users_7d', 'users_30d.active_users_30d') }}, 0)
            as weekly_to_monthly_active_ratio,
        coalesce({{ safe_ratio('users_30d.power_users_30d', 'users_30d.active_users_30d') }}, 0)
            as power_user_ratio_30d,
        cast(coalesce(features_in_window.features_used_30d, 0) as {{ dbt.type_int() }}) as features_used_30d,
        cast(coalesce(features_in_window.features_used_90d, 0) as {{ dbt.type_int() }}) as features_used_90d,
        coalesce({{ safe_ratio('features_in_window.features_used_30d', 'catalog_size.feature_catalog_size') }}, 0)
            as feature_adoption_rate_30d,
        coalesce({{ safe_ratio('3 * usage_windows.event_count_30d', 'usage_windows.event_count_90d') }}, 0)
            as usage_30d_vs_90d_ratio,
        cast(coalesce(usage_trend.usage_trend_slope, 0) as {{ dbt.type_float() }}) as usage_trend_slope,
        coalesce({{ safe_ratio('usage_trend.usage_trend_slope', 'usage_trend.avg_weekly_events') }}, 0)
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
