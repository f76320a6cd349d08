with

deduplicated as (
    {{ deduplicate(
        source_or_empty('commerce', 'customers'), 'customer_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast({{ clean_lower('email') }} as {{ dbt.type_string() }}) as email,
        cast({{ normalize_phone('phone') }} as {{ dbt.type_string() }}) as phone_digits,
        cast({{ phone_last10('phone') }} as {{ dbt.type_string() }}) as phone_last10,
        cast(nullif(upper(trim(loyalty_id)), '') as {{ dbt.type_string() }}) as loyalty_id,
        cast({{ phone_last10('whatsapp') }} as {{ dbt.type_string() }}) as whatsapp_last10,
        cast(nullif(upper(trim(qr_id)), '') as {{ dbt.type_string() }}) as qr_id,
        cast(referred_by_customer_id as {{ dbt.type_bigint() }}) as referred_by_customer_id,
        cast({{ clean_text('first_name') }} as {{ dbt.type_string() }}) as first_name,
        cast({{ clean_text('last_name') }} as {{ dbt.type_string() }}) as last_name,
        cast({{ clean_text('city') }} as {{ dbt.type_string() }}) as city,
        cast(nullif(upper(trim(country)), '') as {{ dbt.type_string() }}) as country_code,
        coalesce(cast(accepts_marketing as {{ dbt.type_boolean() }}), false) as accepts_marketing,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
