with

deduplicated as (
    {{ deduplicate(
        source_or_empty('crm', 'contacts'), clean_text('contact_id'), latest_row_order(has_updated_at=true)
    ) }}
),

renamed as (
    select
        cast({{ clean_text('contact_id') }} as {{ dbt.type_string() }}) as contact_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_text('first_name') }} as {{ dbt.type_string() }}) as first_name,
        cast({{ clean_text('last_name') }} as {{ dbt.type_string() }}) as last_name,
        cast({{ clean_lower('email') }} as {{ dbt.type_string() }}) as email,
        cast({{ normalize_phone('phone') }} as {{ dbt.type_string() }}) as phone_digits,
        cast({{ phone_last10('phone') }} as {{ dbt.type_string() }}) as phone_last10,
        cast({{ clean_text('title') }} as {{ dbt.type_string() }}) as job_title,
        cast(is_decision_maker as {{ dbt.type_boolean() }}) as is_decision_maker,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
