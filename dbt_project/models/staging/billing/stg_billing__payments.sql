with

deduplicated as (
    {{ deduplicate(
        source_or_empty('billing', 'payments'), clean_text('payment_id'), latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('payment_id') }} as {{ dbt.type_string() }}) as payment_id,
        cast({{ clean_text('invoice_id') }} as {{ dbt.type_string() }}) as invoice_id,
        cast(amount as numeric(18, 2)) as amount,
        cast({{ clean_lower('status') }} as {{ dbt.type_string() }}) as payment_status,
        cast({{ clean_lower('payment_method') }} as {{ dbt.type_string() }}) as payment_method,
        cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
        coalesce(amount < 0, false) as is_amount_negative,
        {{ staging_metadata('paid_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
