with

deduplicated as (
    {{ deduplicate(
        source_or_empty('commerce', 'returns'), 'return_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast(return_id as {{ dbt.type_bigint() }}) as return_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast(order_item_id as {{ dbt.type_bigint() }}) as order_item_id,
        cast(refund_amount as numeric(18, 2)) as refund_amount,
        cast({{ clean_lower('reason') }} as {{ dbt.type_string() }}) as return_reason,
        cast(returned_at as {{ dbt.type_timestamp() }}) as returned_at,
        coalesce(refund_amount < 0, false) as is_amount_negative,
        {{ staging_metadata('returned_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
