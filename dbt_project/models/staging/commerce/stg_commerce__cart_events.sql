{{ incremental_staging('cart_event_id') }}

with

deduplicated as (
    {{ deduplicate(
        changed_rows(
            source_or_empty('commerce', 'cart_events'),
            'cart_event_id', 'cart_event_id', 'occurred_at'
        ),
        'cart_event_id',
        latest_row_order()
    ) }}
),

renamed as (
    select
        cast(cart_event_id as {{ dbt.type_bigint() }}) as cart_event_id,
        cast({{ clean_text('session_id') }} as {{ dbt.type_string() }}) as web_session_id,
        cast(order_id as {{ dbt.type_bigint() }}) as order_id,
        cast({{ clean_text('product_id') }} as {{ dbt.type_string() }}) as product_id,
        cast({{ clean_lower('event_type') }} as {{ dbt.type_string() }}) as cart_event_type,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(price as numeric(18, 2)) as unit_price,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        coalesce(price < 0, false) as is_amount_negative,
        {{ staging_metadata('occurred_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
