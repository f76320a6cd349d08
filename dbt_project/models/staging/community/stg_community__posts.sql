with

deduplicated as (
    {{ deduplicate(
        source_or_empty('community', 'posts'), 'post_id', latest_row_order()
    ) }}
),

renamed as (
    select
        cast(post_id as {{ dbt.type_bigint() }}) as post_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('author_email') }} as {{ dbt.type_string() }}) as author_email,
        cast({{ clean_lower('post_type') }} as {{ dbt.type_string() }}) as post_type,
        cast({{ clean_text('title') }} as {{ dbt.type_string() }}) as post_title,
        cast({{ clean_text('body') }} as {{ dbt.type_string() }}) as post_body,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        {{ staging_metadata('created_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
