{{ incremental_staging('order_item_id') }}

with

deduplicated as (
    {{ deduplicate(
        changed_rows(
            source_or_empty('commerce', 'order_items'),
            'order_item_id', 'order_item_id'
        ),
        'order_item_id',
        latest_row_order()
    ) }}
),

renamed as (
    select
        cast(order_item_id as {{ dbt.type_bigint() }}) as order_item_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast({{ clean_text('product_id') }} as {{ dbt.type_string() }}) as product_id,
        cast({{ clean_lower('category') }} as {{ dbt.type_string() }}) as product_category,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as numeric(18, 2)) as unit_price,
        cast(quantity * unit_price as numeric(18, 2)) as line_amount,
        coalesce(unit_price < 0 or quantity < 0, false) as is_amount_negative,
        {{ staging_metadata() }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
