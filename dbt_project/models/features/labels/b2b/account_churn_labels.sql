{#-
    One row per subscribed account per matured as-of date: did the subscription get
    cancelled in the `account_churn_horizon_days` days starting at the as-of date? Only
    as-of dates whose whole horizon lies before the run's as-of date (matured labels).
-#}
{%- set horizon_days = var('account_churn_horizon_days') %}

with

subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

matured_dates as (
    {{ matured_label_dates(horizon_days) }}
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
            matured_dates.as_of_date > subscriptions.started_at
            and (subscriptions.canceled_at is null or matured_dates.as_of_date <= subscriptions.canceled_at)
    {#- Only CRM accounts: the feature models have no rows for orphan subscriptions. -#}
    inner join accounts
        on subscriptions.account_id = accounts.account_id
    where not subscriptions.is_future_dated
    group by subscriptions.account_id, matured_dates.as_of_date
),

final as (
    select
        account_id,
        as_of_date,
        coalesce(canceled_at < {{ days_after('as_of_date', horizon_days) }}, false) as is_churned,
        cast({{ horizon_days }} as {{ dbt.type_int() }}) as horizon_days
    from subscribed_accounts
)

select * from final
