{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    post_hook="{{ prune_dates_outside_spine() }}",
    on_schema_change='fail',
) }}
{#-
    Identity strength per unified customer per as-of date, point in time: only the identifiers
    of the customer's records first seen strictly before the as-of date count (a record without
    a first-seen time counts from the start). The same formula as the profile's (macro
    identity_strength), so the latest date equals the mart's identity_strength_score when no
    record is newer. Each identifier value counts from its earliest record.
-#}
with

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

record_identifiers as (
    select * from {{ ref('int_identity_record_identifiers') }}
),

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

customer_identifier_values as (
    select
        members.customer_id,
        record_identifiers.identifier_type,
        record_identifiers.identifier_value,
        min(members.first_seen_at) as first_seen_at,
        max(case when members.first_seen_at is null then 1 else 0 end) as has_undated_record
    from members
    inner join record_identifiers
        on members.node_key = record_identifiers.node_key
    where members.customer_id is not null
    group by members.customer_id, record_identifiers.identifier_type, record_identifiers.identifier_value
),

{#-
    Each identifier value and each record counts from the first as-of date strictly after its
    first-seen day (an undated one from the start): one row per customer and start day, folded
    into buckets of the dates built and summed running (spine_rollups), so no customer's
    values are crossed with every as-of date.
-#}
identifier_start_days as (
    select
        customer_id,
        case
            when has_undated_record = 1 then cast('1900-01-01' as date)
            else cast(first_seen_at as date)
        end as start_date,
        {{ identifier_type_counts() }}
    from customer_identifier_values
    group by
        customer_id,
        case
            when has_undated_record = 1 then cast('1900-01-01' as date)
            else cast(first_seen_at as date)
        end
),

record_start_days as (
    select
        customer_id,
        coalesce(cast(first_seen_at as date), cast('1900-01-01' as date)) as start_date,
        count(*) as linked_record_count
    from members
    where customer_id is not null
    group by customer_id, coalesce(cast(first_seen_at as date), cast('1900-01-01' as date))
),

identifier_buckets as (
    {{ spine_bucket_totals(
        'identifier_start_days', 'as_of_dates', ['customer_id'], 'start_date',
        sum_columns=['email_count', 'phone_count', 'whatsapp_count', 'loyalty_id_count', 'qr_id_count', 'device_count', 'cookie_count'],
    ) }}
),

record_buckets as (
    {{ spine_bucket_totals(
        'record_start_days', 'as_of_dates', ['customer_id'], 'start_date',
        sum_columns=['linked_record_count'],
    ) }}
),

identifier_running as (
    select
        customer_id,
        as_of_date,
        {{ running_total('email_count', ['customer_id']) }} as email_count,
        {{ running_total('phone_count', ['customer_id']) }} as phone_count,
        {{ running_total('whatsapp_count', ['customer_id']) }} as whatsapp_count,
        {{ running_total('loyalty_id_count', ['customer_id']) }} as loyalty_id_count,
        {{ running_total('qr_id_count', ['customer_id']) }} as qr_id_count,
        {{ running_total('device_count', ['customer_id']) }} as device_count,
        {{ running_total('cookie_count', ['customer_id']) }} as cookie_count,
        {{ next_change_as_of_date(['customer_id']) }} as next_change_as_of_date
    from identifier_buckets
),

record_running as (
    select
        customer_id,
        as_of_date,
        {{ running_total('linked_record_count', ['customer_id']) }} as linked_record_count,
        {{ next_change_as_of_date(['customer_id']) }} as next_change_as_of_date
    from record_buckets
),

identifier_counts as (
    select
        identifier_running.customer_id,
        as_of_dates.as_of_date,
        identifier_running.email_count,
        identifier_running.phone_count,
        identifier_running.whatsapp_count,
        identifier_running.loyalty_id_count,
        identifier_running.qr_id_count,
        identifier_running.device_count,
        identifier_running.cookie_count
    from identifier_running
    inner join as_of_dates
        on {{ spine_dates_until_next_change('identifier_running', 'as_of_dates') }}
),

record_counts as (
    select
        record_running.customer_id,
        as_of_dates.as_of_date,
        record_running.linked_record_count
    from record_running
    inner join as_of_dates
        on {{ spine_dates_until_next_change('record_running', 'as_of_dates') }}
),

scored as (
    select
        *,
        {{ identity_strength({
            'email': 'email_count',
            'phone': 'phone_count',
            'whatsapp': 'whatsapp_count',
            'loyalty_id': 'loyalty_id_count',
            'qr_id': 'qr_id_count',
            'device_id': 'device_count',
            'cookie_id': 'cookie_count',
        }) }} as identity_strength_score,
        (case when email_count > 0 then 1 else 0 end)
        + (case when phone_count > 0 then 1 else 0 end)
        + (case when whatsapp_count > 0 then 1 else 0 end)
        + (case when loyalty_id_count > 0 then 1 else 0 end)
        + (case when qr_id_count > 0 then 1 else 0 end)
        + (case when device_count > 0 then 1 else 0 end)
        + (case when cookie_count > 0 then 1 else 0 end) as identifier_type_count
    from identifier_counts
),

final as (
    select
        cast(scored.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(scored.as_of_date as date) as as_of_date,
        cast(scored.identity_strength_score as {{ dbt.type_float() }}) as identity_strength_score,
        cast(scored.identifier_type_count as {{ dbt.type_int() }}) as identifier_type_count,
        cast(coalesce(record_counts.linked_record_count, 0) as {{ dbt.type_int() }}) as linked_record_count,
        cast(scored.device_count + scored.cookie_count as {{ dbt.type_int() }}) as browser_identifier_count,
        cast(case when scored.phone_count > 1 or scored.loyalty_id_count > 1 then 1 else 0 end as {{ dbt.type_int() }})
            as has_conflicting_identifiers
    from scored
    left join record_counts
        on
            scored.customer_id = record_counts.customer_id
            and scored.as_of_date = record_counts.as_of_date
)

select * from final
