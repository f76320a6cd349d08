with

deduplicated as (
    {{ deduplicate(
        source_or_empty('crm', 'opportunities'), clean_text('opportunity_id'), latest_row_order(has_updated_at=true)
    ) }}
),

renamed as (
    select
        cast({{ clean_text('opportunity_id') }} as {{ dbt.type_string() }}) as opportunity_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_text('owner_user_id') }} as {{ dbt.type_string() }}) as owner_user_id,
        cast({{ clean_text('opportunity_name') }} as {{ dbt.type_string() }}) as opportunity_name,
        cast({{ clean_lower('opportunity_type') }} as {{ dbt.type_string() }}) as opportunity_type,
        cast({{ clean_lower('lead_source') }} as {{ dbt.type_string() }}) as lead_source,
        cast({{ clean_lower('stage') }} as {{ dbt.type_string() }}) as stage_name,
        cast(amount as numeric(18, 2)) as amount,
        cast(probability as {{ dbt.type_int() }}) as probability_pct,
        cast({{ clean_text('competitor') }} as {{ dbt.type_string() }}) as competitor,
        coalesce({{ clean_lower('stage') }} in ('closed_won', 'closed_lost'), false) as is_closed,
        coalesce({{ clean_lower('stage') }} = 'closed_won', false) as is_won,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(close_date as date) as close_date,
        cast(closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        coalesce(amount < 0, false) as is_amount_negative,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
