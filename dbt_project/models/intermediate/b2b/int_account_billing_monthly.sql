with

invoices as (
    select * from {{ ref('int_billing_invoices_enriched') }}
),

billable_invoices as (
    select
        *,
        row_number() over (
            partition by account_id, billing_month
            order by issued_at desc, invoice_id desc
        ) as recency_in_month
    from invoices
    where not is_void
),

account_months as (
    select
        account_id,
        billing_month,
        sum(case when recency_in_month = 1 then amount_due else 0 end) as mrr,
        sum(amount_due) as invoiced_amount,
        sum(discount_amount) as discount_amount,
        count(*) as invoice_count,
        sum(case when is_paid_late then 1 else 0 end) as late_paid_invoice_count,
        sum(failed_payment_count) as failed_payment_count,
        sum(case when first_paid_at is null then 1 else 0 end) as unpaid_invoice_count
    from billable_invoices
    group by account_id, billing_month
),

final as (
    select
        account_id,
        billing_month,
        cast(mrr as {{ dbt.type_float() }}) as mrr,
        cast(invoiced_amount as {{ dbt.type_float() }}) as invoiced_amount,
        cast(discount_amount as {{ dbt.type_float() }}) as discount_amount,
        cast(invoice_count as {{ dbt.type_int() }}) as invoice_count,
        cast(late_paid_invoice_count as {{ dbt.type_int() }}) as late_paid_invoice_count,
        cast(failed_payment_count as {{ dbt.type_int() }}) as failed_payment_count,
        cast(unpaid_invoice_count as {{ dbt.type_int() }}) as unpaid_invoice_count
    from account_months
)

select * from final
