with

deduplicated as (
    {{ deduplicate(
        source_or_empty('surveys', 'responses'), 'response_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('response_id') }} as {{ dbt.type_string() }}) as survey_response_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('respondent_email') }} as {{ dbt.type_string() }}) as respondent_email,
        cast({{ clean_lower('survey_type') }} as {{ dbt.type_string() }}) as survey_type,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        cast(nps_score as {{ dbt.type_int() }}) as nps_score,
        cast({{ clean_text('comment') }} as {{ dbt.type_string() }}) as survey_comment,
        {{ staging_metadata('sent_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
