with

deduplicated as (
    {{ deduplicate(
        source_or_empty('crm', 'accounts'), clean_text('account_id'), latest_row_order(has_updated_at=true)
    ) }}
),

renamed as (
    select
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_text('owner_user_id') }} as {{ dbt.type_string() }}) as owner_user_id,
        cast({{ clean_text('csm_user_id') }} as {{ dbt.type_string() }}) as csm_user_id,
        cast({{ clean_text('account_name') }} as {{ dbt.type_string() }}) as account_name,
        cast({{ clean_lower('industry') }} as {{ dbt.type_string() }}) as industry,
        cast({{ clean_lower('segment') }} as {{ dbt.type_string() }}) as segment,
        cast({{ clean_lower('region') }} as {{ dbt.type_string() }}) as region,
        cast(employee_count as {{ dbt.type_int() }}) as employee_count,
        cast(annual_revenue as numeric(18, 2)) as annual_revenue,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        coalesce(annual_revenue < 0, false) as is_amount_negative,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
