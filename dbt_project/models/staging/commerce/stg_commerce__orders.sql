with

deduplicated as (
    {{ deduplicate(
        source_or_empty('commerce', 'orders'), 'order_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast({{ clean_text('store_id') }} as {{ dbt.type_string() }}) as store_id,
        cast({{ clean_lower('channel') }} as {{ dbt.type_string() }}) as order_channel,
        cast({{ clean_lower('status') }} as {{ dbt.type_string() }}) as order_status,
        cast(subtotal as numeric(18, 2)) as subtotal,
        cast(discount_amount as numeric(18, 2)) as discount_amount,
        cast(order_total as numeric(18, 2)) as order_total,
        cast(nullif(upper(trim(currency)), '') as {{ dbt.type_string() }}) as currency_code,
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        coalesce(order_total < 0, false) as is_amount_negative,
        {{ staging_metadata('ordered_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
