{{ incremental_staging('email_event_id') }}

with

deduplicated as (
    {{ deduplicate(
        changed_rows(
            source_or_empty('marketing', 'email_events'),
            'event_id', 'email_event_id', 'occurred_at'
        ),
        'event_id',
        latest_row_order()
    ) }}
),

renamed as (
    select
        cast(event_id as {{ dbt.type_bigint() }}) as email_event_id,
        cast({{ clean_text('message_id') }} as {{ dbt.type_string() }}) as message_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('recipient_email') }} as {{ dbt.type_string() }}) as recipient_email,
        cast({{ clean_text('campaign_id') }} as {{ dbt.type_string() }}) as campaign_id,
        cast({{ clean_lower('event_type') }} as {{ dbt.type_string() }}) as event_type,
        cast({{ clean_lower('bounce_type') }} as {{ dbt.type_string() }}) as bounce_type,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        {{ staging_metadata('occurred_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
