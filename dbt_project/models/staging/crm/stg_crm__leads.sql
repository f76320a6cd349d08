with

deduplicated as (
    {{ deduplicate(
        source_or_empty('crm', 'leads'), clean_text('lead_id'), latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('lead_id') }} as {{ dbt.type_string() }}) as lead_id,
        cast({{ clean_text('owner_user_id') }} as {{ dbt.type_string() }}) as owner_user_id,
        cast({{ clean_text('converted_account_id') }} as {{ dbt.type_string() }}) as converted_account_id,
        cast({{ clean_lower('email') }} as {{ dbt.type_string() }}) as email,
        cast({{ normalize_phone('phone') }} as {{ dbt.type_string() }}) as phone_digits,
        cast({{ phone_last10('phone') }} as {{ dbt.type_string() }}) as phone_last10,
        cast({{ clean_text('company_name') }} as {{ dbt.type_string() }}) as company_name,
        cast({{ clean_lower('industry') }} as {{ dbt.type_string() }}) as industry,
        cast(employee_count as {{ dbt.type_int() }}) as employee_count,
        cast({{ clean_lower('lead_source') }} as {{ dbt.type_string() }}) as lead_source,
        cast({{ clean_lower('status') }} as {{ dbt.type_string() }}) as lead_status,
        cast(email_opens as {{ dbt.type_int() }}) as email_open_count,
        cast(web_visits as {{ dbt.type_int() }}) as web_visit_count,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(converted_at as {{ dbt.type_timestamp() }}) as converted_at,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
