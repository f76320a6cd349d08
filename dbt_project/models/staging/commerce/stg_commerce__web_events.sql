{{ incremental_staging('web_event_id') }}

with

deduplicated as (
    {{ deduplicate(
        changed_rows(
            source_or_empty('commerce', 'web_events'),
            'web_event_id', 'web_event_id', 'occurred_at'
        ),
        'web_event_id',
        latest_row_order()
    ) }}
),

renamed as (
    select
        cast(web_event_id as {{ dbt.type_bigint() }}) as web_event_id,
        cast({{ clean_text('session_id') }} as {{ dbt.type_string() }}) as web_session_id,
        cast({{ clean_lower('event_type') }} as {{ dbt.type_string() }}) as web_event_type,
        cast({{ clean_text('product_id') }} as {{ dbt.type_string() }}) as product_id,
        cast({{ clean_lower('category') }} as {{ dbt.type_string() }}) as category,
        cast({{ clean_lower('search_query') }} as {{ dbt.type_string() }}) as search_query,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        {{ staging_metadata('occurred_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
