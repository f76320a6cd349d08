with

deduplicated as (
    {{ deduplicate(
        source_or_empty('training', 'enrollments'), 'enrollment_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast({{ clean_text('enrollment_id') }} as {{ dbt.type_string() }}) as enrollment_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('attendee_email') }} as {{ dbt.type_string() }}) as attendee_email,
        cast({{ clean_lower('course_key') }} as {{ dbt.type_string() }}) as course_key,
        cast({{ clean_lower('course_type') }} as {{ dbt.type_string() }}) as course_type,
        cast(registered_at as {{ dbt.type_timestamp() }}) as registered_at,
        cast(scheduled_at as {{ dbt.type_timestamp() }}) as scheduled_at,
        cast({{ clean_lower('attendance_status') }} as {{ dbt.type_string() }}) as attendance_status,
        cast(completed_at as {{ dbt.type_timestamp() }}) as completed_at,
        coalesce({{ clean_lower('course_key') }} like 'onboarding%', false) as is_onboarding,
        {{ staging_metadata('registered_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
