with

deduplicated as (
    {{ deduplicate(
        source_or_empty('billing', 'invoices'), clean_text('invoice_id'), latest_row_order()
    ) }}
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
        {{ staging_metadata('issued_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
