with

deduplicated as (
    {{ deduplicate(
        source_or_empty('support', 'tickets'), 'ticket_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast(ticket_id as {{ dbt.type_bigint() }}) as ticket_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('requester_email') }} as {{ dbt.type_string() }}) as requester_email,
        cast({{ normalize_phone('requester_phone') }} as {{ dbt.type_string() }}) as requester_phone_digits,
        cast({{ phone_last10('requester_phone') }} as {{ dbt.type_string() }}) as requester_phone_last10,
        cast({{ clean_text('subject') }} as {{ dbt.type_string() }}) as subject,
        cast({{ clean_lower('category') }} as {{ dbt.type_string() }}) as ticket_category,
        cast({{ clean_lower('channel') }} as {{ dbt.type_string() }}) as ticket_channel,
        cast({{ clean_lower('priority') }} as {{ dbt.type_string() }}) as ticket_priority,
        cast({{ clean_lower('status') }} as {{ dbt.type_string() }}) as ticket_status,
        coalesce(cast(is_escalated as {{ dbt.type_boolean() }}), false) as is_escalated,
        cast(csat_score as {{ dbt.type_int() }}) as csat_score,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(first_response_at as {{ dbt.type_timestamp() }}) as first_response_at,
        cast(solved_at as {{ dbt.type_timestamp() }}) as solved_at,
        {{ dbt.datediff('created_at', 'first_response_at', 'minute') }}
            as minutes_to_first_response,
        {{ dbt.datediff('created_at', 'solved_at', 'minute') }}
            as minutes_to_solve,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
