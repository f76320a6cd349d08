with

deduplicated as (
    {{ deduplicate(
        source_or_empty('billing', 'subscriptions'), clean_text('subscription_id'), latest_row_order(has_updated_at=true)
    ) }}
),

renamed as (
    select
        cast({{ clean_text('subscription_id') }} as {{ dbt.type_string() }}) as subscription_id,
        cast({{ clean_text('account_id') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ clean_lower('plan') }} as {{ dbt.type_string() }}) as plan_name,
        cast({{ clean_lower('status') }} as {{ dbt.type_string() }}) as subscription_status,
        cast(mrr as numeric(18, 2)) as mrr,
        cast(discount_pct as numeric(5, 2)) as discount_pct,
        cast(seats as {{ dbt.type_int() }}) as seat_count,
        cast({{ clean_text('cancel_reason') }} as {{ dbt.type_string() }}) as cancel_reason,
        coalesce({{ clean_lower('status') }} = 'canceled', false) as is_canceled,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(canceled_at as {{ dbt.type_timestamp() }}) as canceled_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        coalesce(mrr < 0, false) as is_amount_negative,
        {{ staging_metadata('started_at') }}
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
