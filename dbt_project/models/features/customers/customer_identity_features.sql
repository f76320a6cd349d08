{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
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

customer_records as (
    select
        customer_id,
        node_key,
        first_seen_at
    from members
    where customer_id is not null
),

identifier_counts as (
    select
        customer_identifier_values.customer_id,
        as_of_dates.as_of_date,
        sum(case when customer_identifier_values.identifier_type = 'email' then 1 else 0 end) as email_count,
        sum(case when customer_identifier_values.identifier_type = 'phone' then 1 else 0 end) as phone_count,
        sum(case when customer_identifier_values.identifier_type = 'whatsapp' then 1 else 0 end) as whatsapp_count,
        sum(case when customer_identifier_values.identifier_type = 'loyalty_id' then 1 else 0 end) as loyalty_id_count,
        sum(case when customer_identifier_values.identifier_type = 'qr_id' then 1 else 0 end) as qr_id_count,
        sum(case when customer_identifier_values.identifier_type = 'device_id' then 1 else 0 end) as device_count,
        sum(case when customer_identifier_values.identifier_type = 'cookie_id' then 1 else 0 end) as cookie_count
    from customer_identifier_values
    inner join as_of_dates
        on
            customer_identifier_values.has_undated_record = 1
            or customer_identifier_values.first_seen_at < as_of_dates.as_of_date
    group by customer_identifier_values.customer_id, as_of_dates.as_of_date
),

record_counts as (
    select
        customer_records.customer_id,
        as_of_dates.as_of_date,
        count(*) as linked_record_count
    from customer_records
    inner join as_of_dates
        on
            customer_records.first_seen_at is null
            or customer_records.first_seen_at < as_of_dates.as_of_date
    group by customer_records.customer_id, as_of_dates.as_of_date
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
