{#-
    One row per subscribed account per matured as-of date: did the subscription get
    cancelled in the `account_churn_horizon_days` days starting at the as-of date? Only
    as-of dates whose whole horizon lies before the run's as-of date (matured labels).
-#}
{%- set horizon_days = var('account_churn_horizon_days') %}

with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

matured_dates as (
    select as_of_date
    from as_of_dates
    where {{ b2b_days_after('as_of_date', horizon_days) }} <= {{ b2b_run_as_of_date() }}
),

subscribed_accounts as (
    {#- Accounts with a subscription running at the as-of date. -#}
    select
        subscriptions.account_id,
        matured_dates.as_of_date,
        min(subscriptions.canceled_at) as canceled_at
    from matured_dates
    inner join subscriptions
        on
            subscriptions.started_at < matured_dates.as_of_date
            and (subscriptions.canceled_at is null or subscriptions.canceled_at >= matured_dates.as_of_date)
    where
        not subscriptions.is_future_dated
        and subscriptions.account_id is not null
    group by subscriptions.account_id, matured_dates.as_of_date
),

final as (
    select
        account_id,
        as_of_date,
        coalesce(canceled_at < {{ b2b_days_after('as_of_date', horizon_days) }}, false) as is_churned,
        cast({{ horizon_days }} as integer) as horizon_days
    from subscribed_accounts
)

select * from final
