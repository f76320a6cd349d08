with

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

payments as (
    select * from {{ ref('stg_billing__payments') }}
),

invoice_payments as (
    select
        invoice_id,
        min(case when payment_status = 'succeeded' then paid_at end) as first_paid_at,
        sum(case when payment_status = 'failed' then 1 else 0 end) as failed_payment_count,
        min(case when payment_status = 'failed' then paid_at end) as first_failed_at
    from payments
    where not is_future_dated
    group by invoice_id
),

enriched as (
    select
        invoices.invoice_id,
        invoices.subscription_id,
        coalesce(invoices.account_id, subscriptions.account_id) as account_id,
        invoices.invoice_status,
        cast(invoices.amount_due as {{ dbt.type_float() }}) as amount_due,
        cast(coalesce(invoices.discount_amount, 0) as {{ dbt.type_float() }}) as discount_amount,
        cast(invoices.issued_at as date) as issued_date,
        cast({{ dbt.date_trunc('month', 'invoices.issued_at') }} as date) as billing_month,
        invoices.issued_at,
        invoices.due_at,
        invoice_payments.first_paid_at,
        invoice_payments.first_failed_at,
        cast(coalesce(invoice_payments.failed_payment_count, 0) as {{ dbt.type_int() }}) as failed_payment_count,
        case
            when invoice_payments.first_paid_at > invoices.due_at
                then {{ days_between('invoices.due_at', 'invoice_payments.first_paid_at') }}
            when invoice_payments.first_paid_at is not null then 0
        end as days_paid_late,
        invoices.invoice_status = 'void' as is_void
    from invoices
    left join subscriptions
        on invoices.subscription_id = subscriptions.subscription_id
    left join invoice_payments
        on invoices.invoice_id = invoice_payments.invoice_id
    where
        not invoices.is_future_dated
        and not invoices.is_amount_negative
),

final as (
    select
        invoice_id,
        subscription_id,
        account_id,
        invoice_status,
        amount_due,
        discount_amount,
        issued_date,
        billing_month,
        issued_at,
        due_at,
        first_paid_at,
        first_failed_at,
        failed_payment_count,
        cast(days_paid_late as {{ dbt.type_int() }}) as days_paid_late,
        coalesce(days_paid_late > 0, false) as is_paid_late,
        is_void
    from enriched
    where account_id is not null
)

select * from final
