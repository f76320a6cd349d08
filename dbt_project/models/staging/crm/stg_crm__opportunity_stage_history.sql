with

deduplicated as (
    {{ deduplicate(
        source_or_empty('crm', 'opportunity_stage_history'), clean_text('history_id'), latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('history_id') }} as {{ dbt.type_string() }}) as stage_change_id,
        cast({{ clean_text('opportunity_id') }} as {{ dbt.type_string() }}) as opportunity_id,
        cast({{ clean_text('changed_by_user_id') }} as {{ dbt.type_string() }}) as changed_by_user_id,
        cast({{ clean_lower('stage') }} as {{ dbt.type_string() }}) as stage_name,
        cast(amount as numeric(18, 2)) as amount,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        coalesce(amount < 0, false) as is_amount_negative,
        {{ staging_metadata('changed_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
