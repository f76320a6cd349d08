{{ incremental_staging('web_session_id') }}

with

deduplicated as (
    {{ deduplicate(
        changed_rows(
            source_or_empty('commerce', 'web_sessions'),
            clean_text('session_id'), 'web_session_id', 'started_at'
        ),
        clean_text('session_id'),
        latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('session_id') }} as {{ dbt.type_string() }}) as web_session_id,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast({{ clean_lower('device_id') }} as {{ dbt.type_string() }}) as device_id,
        cast({{ clean_lower('cookie_id') }} as {{ dbt.type_string() }}) as cookie_id,
        cast({{ clean_lower('email') }} as {{ dbt.type_string() }}) as email,
        cast({{ clean_lower('traffic_source') }} as {{ dbt.type_string() }}) as traffic_source,
        cast({{ clean_lower('device_type') }} as {{ dbt.type_string() }}) as device_type,
        cast(page_views as {{ dbt.type_int() }}) as page_view_count,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }}
            as session_duration_seconds,
        {{ staging_metadata('started_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
