{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook="{{ prune_dates_outside_spine() }}",
    )
}}

{%- set trend_months = 6 %}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

invoices as (
    select * from {{ ref('int_billing_invoices_enriched') }}
),

billing_monthly as (
    select * from {{ ref('int_account_billing_monthly') }}
),

account_spine as (
    {{ b2b_account_spine('accounts', 'as_of_dates') }}
),

subscription_state as (
    {#- The account's subscription as known at the as-of date (one per account). -#}
    select
        account_spine.account_id,
        account_spine.as_of_date,
        max(
            case
                when subscriptions.canceled_at is null or subscriptions.canceled_at >= account_spine.as_of_date then 1
                else 0
            end
        ) as has_active_subscription,
        min(subscriptions.started_at) as first_started_at,
        {#- Seats and discount are current values; the source keeps no history of them. -#}
        max(subscriptions.seat_count) as seat_count,
        max(subscriptions.discount_pct) as discount_pct
    from account_spine
    inner join subscriptions
        on
            account_spine.account_id = subscriptions.account_id
            and account_spine.as_of_date > subscriptions.started_at
    where not subscriptions.is_future_dated
    group by account_spine.account_id, account_spine.as_of_date
),

invoices_in_window as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        invoices.invoice_id,
        invoices.amount_due,
        invoices.discount_amount,
        invoices.is_void,
        invoices.due_at,
        invoices.first_paid_at,
        invoices.first_failed_at,
        invoices.days_paid_late,
        {{ days_between('invoices.issued_date', 'account_spine.as_of_date') }} as days_ago,
        row_number() over (
            partition by account_spine.account_id, account_spine.as_of_date, invoices.is_void
            order by invoices.issued_at desc, invoices.invoice_id desc
        ) as recency_rank
    from account_spine
    inner join invoices
        on
            account_spine.account_id = invoices.account_id
            and account_spine.as_of_date > invoices.issued_at
            and invoices.issued_at >= {{ days_before('account_spine.as_of_date', 180) }}
),

invoice_windows as (
    select
        account_id,
        as_of_date,
        {#- MRR: the latest invoice of the last 45 days; none means nothing is billed now. -#}
        sum(case when not is_void and recency_rank = 1 and days_ago <= 45 then amount_due else 0 end) as mrr,
        sum(case when not is_void then discount_amount else 0 end) as discount_amount_180d,
        sum(case when not is_void then amount_due + discount_amount else 0 end) as gross_amount_180d,
        sum(case
            when not is_void and first_paid_at < as_of_date and days_paid_late > 0 then 1 else 0
        end) as late_paid_invoices_180d,
        sum(case
            when first_failed_at < as_of_date and days_ago <= 90 then 1 else 0
        end) as invoices_with_failed_payment_90d,
        sum(case
            when
                not is_void and due_at < as_of_date
                and (first_paid_at is null or first_paid_at >= as_of_date)
                then 1
            else 0
        end) as overdue_invoices,
        max(case
            when
                not is_void and due_at < as_of_date
                and (first_paid_at is null or first_paid_at >= as_of_date)
                then {{ days_between('due_at', 'as_of_date') }}
        end) as max_invoice_aging_days
    from invoices_in_window
    group by account_id, as_of_date
),

mrr_90d_ago as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        sum(billing_monthly.mrr) as mrr_90d_ago
    from account_spine
    inner join billing_monthly
        on
            account_spine.account_id = billing_monthly.account_id
            and billing_monthly.billing_month
            = cast({{ dbt.date_trunc('month', dbt.dateadd('day', -90, 'account_spine.as_of_date')) }} as date)
    group by account_spine.account_id, account_spine.as_of_date
),

recent_months as (
    {#- Complete months before the as-of month only, so no invoice after the date counts. -#}
    select
        account_spine.account_id,
        account_spine.as_of_date,
        billing_monthly.mrr,
        cast(
            {{ days_between('billing_monthly.billing_month', 'account_spine.as_of_date') }} as {{ dbt.type_float() }}
        ) / 30.0 as months_ago
    from account_spine
    inner join billing_monthly
        on
            account_spine.account_id = billing_monthly.account_id
            and billing_monthly.billing_month < cast({{ dbt.date_trunc('month', 'account_spine.as_of_date') }} as date)
            and billing_monthly.billing_month >= cast(
                {{ dbt.date_trunc('month', dbt.dateadd('month', -1 * trend_months, 'account_spine.as_of_date')) }}
                as date
            )
),

monthly_mrr_trend as (
    select
        account_id,
        as_of_date,
        {#- At least three months: DuckDB answers NaN, Postgres null, for a single point. -#}
        case when count(*) >= 3 then regr_slope(mrr, -months_ago) end as mrr_slope_per_month,
        avg(mrr) as avg_monthly_mrr
    from recent_months
    group by account_id, as_of_date
),

final as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        coalesce(subscription_state.has_active_subscription = 1, false) as has_active_subscription,
        {{ days_between('subscription_state.first_started_at', 'account_spine.as_of_date') }}
            as subscription_tenure_days,
        cast(subscription_state.seat_count as {{ dbt.type_int() }}) as seat_count,
        cast(coalesce(invoice_windows.mrr, 0) as {{ dbt.type_float() }}) as mrr,
        cast(mrr_90d_ago.mrr_90d_ago as {{ dbt.type_float() }}) as mrr_90d_ago,
        {{ safe_ratio('coalesce(invoice_windows.mrr, 0) - mrr_90d_ago.mrr_90d_ago', 'mrr_90d_ago.mrr_90d_ago') }}
            as mrr_change_pct_90d,
        coalesce({{ safe_ratio('monthly_mrr_trend.mrr_slope_per_month', 'monthly_mrr_trend.avg_monthly_mrr') }}, 0)
            as mrr_trend_pct,
        cast(coalesce(invoice_windows.late_paid_invoices_180d, 0) as {{ dbt.type_int() }}) as late_paid_invoices_180d,
        cast(coalesce(invoice_windows.invoices_with_failed_payment_90d, 0) as {{ dbt.type_int() }})
            as invoices_with_failed_payment_90d,
        cast(coalesce(invoice_windows.overdue_invoices, 0) as {{ dbt.type_int() }}) as overdue_invoices,
        cast(coalesce(invoice_windows.max_invoice_aging_days, 0) as {{ dbt.type_int() }}) as max_invoice_aging_days,
        coalesce({{ safe_ratio('invoice_windows.discount_amount_180d', 'invoice_windows.gross_amount_180d') }}, 0)
            as discount_dependency_180d,
        cast(subscription_state.discount_pct as {{ dbt.type_float() }}) as current_discount_pct
    from account_spine
    left join subscription_state
        on
            account_spine.account_id = subscription_state.account_id
            and account_spine.as_of_date = subscription_state.as_of_date
    left join invoice_windows
        on
            account_spine.account_id = invoice_windows.account_id
            and account_spine.as_of_date = invoice_windows.as_of_date
    left join mrr_90d_ago
        on
            account_spine.account_id = mrr_90d_ago.account_id
            and account_spine.as_of_date = mrr_90d_ago.as_of_date
    left join monthly_mrr_trend
        on
            account_spine.account_id = monthly_mrr_trend.account_id
            and account_spine.as_of_date = monthly_mrr_trend.as_of_date
)

select * from final
