{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Identity strength of each source record on its own (macro `identity_strength`, the same
    formula as a profile's), with the record's first-seen time: what decides a merge's base
    profile (highest strength, then oldest, then smallest shop id).
-#}
with

source_records as (
    select * from {{ ref('int_identity_source_records') }}
),

record_identifiers as (
    select * from {{ ref('int_identity_record_identifiers') }}
),

record_identifier_counts as (
    select
        node_key,
        {{ identifier_type_counts() }},
        count(*) as identifier_count
    from record_identifiers
    group by node_key
),

scored as (
    select
        source_records.node_key,
        source_records.source_system,
        source_records.commerce_customer_id,
        source_records.first_seen_at,
        coalesce(record_identifier_counts.identifier_count, 0) as identifier_count,
        {{ identity_strength({
            'email': 'coalesce(record_identifier_counts.email_count, 0)',
            'phone': 'coalesce(record_identifier_counts.phone_count, 0)',
            'whatsapp': 'coalesce(record_identifier_counts.whatsapp_count, 0)',
            'loyalty_id': 'coalesce(record_identifier_counts.loyalty_id_count, 0)',
            'qr_id': 'coalesce(record_identifier_counts.qr_id_count, 0)',
            'device_id': 'coalesce(record_identifier_counts.device_count, 0)',
            'cookie_id': 'coalesce(record_identifier_counts.cookie_count, 0)',
        }) }} as raw_strength
    from source_records
    left join record_identifier_counts
        on source_records.node_key = record_identifier_counts.node_key
),

final as (
    select
        node_key,
        source_system,
        commerce_customer_id,
        cast(identifier_count as {{ dbt.type_int() }}) as identifier_count,
        cast(raw_strength as numeric(4, 2)) as identity_strength_score,
        first_seen_at
    from scored
)

select * from final
