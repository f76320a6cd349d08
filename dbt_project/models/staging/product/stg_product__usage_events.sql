{{ incremental_staging('usage_event_id') }}

with

deduplicated as (
    {{ deduplicate(
        changed_rows(
            source_or_empty('product', 'usage_events'),
            'event_id', 'usage_event_id', 'occurred_at'
        ),
        'event_id',
        latest_row_order()
    ) }}
),

renamed as (
    select
        cast(event_id as {{ dbt.type_bigint() }}) as usage_event_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_text('session_id') }} as {{ dbt.type_string() }}) as product_session_id,
        cast({{ clean_lower('user_email') }} as {{ dbt.type_string() }}) as user_email,
        cast({{ clean_lower('feature_key') }} as {{ dbt.type_string() }}) as feature_key,
        cast({{ clean_lower('event_name') }} as {{ dbt.type_string() }}) as event_name,
        cast(duration_seconds as {{ dbt.type_int() }}) as duration_seconds,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        coalesce(duration_seconds < 0, false) as is_duration_negative,
        {{ staging_metadata('occurred_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
