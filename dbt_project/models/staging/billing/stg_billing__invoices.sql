with

source as (
    select * from {{ source_or_empty('billing', 'invoices') }}
),

deduplicated as (
    {{ deduplicate('source', clean_text('invoice_id'), latest_row_order()) }}
),

renamed as (
    select
        cast({{ clean_text('invoice_id') }} as {{ dbt.type_string() }}) as invoice_id,
        cast({{ clean_text('subscription_id') }} as {{ dbt.type_string() }}) as subscription_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('status') }} as {{ dbt.type_string() }}) as invoice_status,
        cast(amount_due as numeric(18, 2)) as amount_due,
        cast(discount_amount as numeric(18, 2)) as discount_amount,
        cast(period_start as date) as period_start_date,
        cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
        cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
        coalesce(amount_due < 0, false) as is_amount_negative,
        {{ is_future('issued_at') }} as is_future_dated,
        _loaded_at,
        _batch_id
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
