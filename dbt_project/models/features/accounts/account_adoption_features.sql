{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'as_of_date'],
        post_hook="{{ prune_dates_outside_spine() }}",
    )
}}

{#-
    Product adoption of B2B accounts before each as-of date: onboarding completion and time to
    value (training platform), integration usage, feature abandonment and login decline
    (product usage). Only events strictly before the as-of date count.
-#}
{%- set onboarding_modules = var('account_onboarding_modules') %}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

enrollments as (
    select * from {{ ref('stg_training__enrollments') }}
),

usage_daily as (
    select * from {{ ref('int_account_usage_daily') }}
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

onboarding_enrollments as (
    select *
    from enrollments
    where
        not is_future_dated
        and course_key in (
            {%- for module in onboarding_modules %}
                '{{ module }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
),

onboarding_as_of as (
    {#- Required modules enrolled and completed before each as-of date, and when the last was. -#}
    select
        account_spine.account_id,
        account_spine.as_of_date,
        count(*) as onboarding_enrollment_count,
        count(distinct case
            when onboarding_enrollments.completed_at < account_spine.as_of_date
                then onboarding_enrollments.course_key
        end) as modules_completed,
        max(case
            when onboarding_enrollments.completed_at < account_spine.as_of_date
                then onboarding_enrollments.completed_at
        end) as last_module_completed_at
    from account_spine
    inner join onboarding_enrollments
        on
            account_spine.account_id = onboarding_enrollments.account_id
            and account_spine.as_of_date > onboarding_enrollments.registered_at
    group by account_spine.account_id, account_spine.as_of_date
),

logins_by_as_of as (
    select
        usage_daily.account_id,
        as_of_dates.as_of_date,
        sum(case
            when usage_daily.usage_date >= {{ days_before('as_of_dates.as_of_date', 30) }}
                then usage_daily.login_count
            else 0
        end) as logins_30d,
        sum(case
            when usage_daily.usage_date < {{ days_before('as_of_dates.as_of_date', 30) }}
                then usage_daily.login_count
            else 0
        end) as logins_prior_60d
    {{ from_days_before_as_of('usage_daily', 'usage_date', 90) }}
    group by usage_daily.account_id, as_of_dates.as_of_date
),

feature_use_by_as_of as (
    {#- Per feature: events in the 90 days before, and whether it was used in the last 30. -#}
    select
        feature_usage_daily.account_id,
        as_of_dates.as_of_date,
        feature_usage_daily.feature_key,
        sum(feature_usage_daily.event_count) as event_count_90d,
        max(case
            when feature_usage_daily.usage_date >= {{ days_before('as_of_dates.as_of_date', 30) }} then 1
            else 0
        end) as used_30d,
        max(case
            when feature_usage_daily.usage_date < {{ days_before('as_of_dates.as_of_date', 30) }} then 1
            else 0
        end) as used_before_30d
    {{ from_days_before_as_of('feature_usage_daily', 'usage_date', 90) }}
    group by feature_usage_daily.account_id, as_of_dates.as_of_date, feature_usage_daily.feature_key
),

feature_abandonment as (
    select
        account_id,
        as_of_date,
        sum(case when feature_key = 'integrations' then event_count_90d else 0 end) as integration_events_90d,
        sum(used_before_30d) as features_used_before_30d,
        sum(case when used_before_30d = 1 and used_30d = 0 then 1 else 0 end) as features_abandoned
    from feature_use_by_as_of
    group by account_id, as_of_date
),

final as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        {{ safe_ratio('onboarding_as_of.modules_completed', onboarding_modules | length) }}
            as onboarding_completion_rate,
        case
            when onboarding_as_of.modules_completed = {{ onboarding_modules | length }}
                then {{ days_between('accounts.created_at', 'onboarding_as_of.last_module_completed_at') }}
        end as time_to_value_days,
        cast(coalesce(feature_abandonment.integration_events_90d, 0) as {{ dbt.type_int() }})
            as integration_usage_count_90d,
        cast(coalesce(feature_abandonment.features_abandoned, 0) as {{ dbt.type_int() }})
            as features_abandoned_30d,
        {{ safe_ratio('feature_abandonment.features_abandoned', 'feature_abandonment.features_used_before_30d') }}
            as feature_abandonment_rate_30d,
        cast(coalesce(logins_by_as_of.logins_30d, 0) as {{ dbt.type_int() }}) as logins_30d,
        1 - {{ safe_ratio('logins_by_as_of.logins_30d', 'logins_by_as_of.logins_prior_60d / 2.0') }}
            as login_decline_pct_30d
    from account_spine
    inner join accounts
        on account_spine.account_id = accounts.account_id
    left join onboarding_as_of
        on
            account_spine.account_id = onboarding_as_of.account_id
            and account_spine.as_of_date = onboarding_as_of.as_of_date
    left join feature_abandonment
        on
            account_spine.account_id = feature_abandonment.account_id
            and account_spine.as_of_date = feature_abandonment.as_of_date
    left join logins_by_as_of
        on
            account_spine.account_id = logins_by_as_of.account_id
            and account_spine.as_of_date = logins_by_as_of.as_of_date
)

select * from final
