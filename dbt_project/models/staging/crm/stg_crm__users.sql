with

deduplicated as (
    {{ deduplicate(
        source_or_empty('crm', 'users'), clean_text('user_id'), latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('user_id') }} as {{ dbt.type_string() }}) as user_id,
        cast({{ clean_text('manager_id') }} as {{ dbt.type_string() }}) as manager_user_id,
        cast({{ clean_text('full_name') }} as {{ dbt.type_string() }}) as full_name,
        cast({{ clean_lower('email') }} as {{ dbt.type_string() }}) as email,
        cast({{ clean_lower('role') }} as {{ dbt.type_string() }}) as user_role,
        cast({{ clean_text('team') }} as {{ dbt.type_string() }}) as team_name,
        cast({{ clean_lower('region') }} as {{ dbt.type_string() }}) as region,
        cast({{ clean_text('slack_user_id') }} as {{ dbt.type_string() }}) as slack_user_id,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        {{ staging_metadata() }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
