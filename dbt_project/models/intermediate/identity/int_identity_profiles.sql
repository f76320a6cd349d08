{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    One row per unified profile: its records by system, the identifiers it holds and a strength
    score (0-1) for how surely it is one identifiable person (macro `identity_strength`:
    weighted identifier types held, less a penalty for conflicting phones or loyalty cards
    inside the profile, e.g. one email seen with two phones).
-#}
{#- Each identifier type and the column counting its distinct values in a profile. -#}
{%- set identifier_counts = {
    'email': 'distinct_email_count',
    'phone': 'distinct_phone_count',
    'loyalty_id': 'distinct_loyalty_id_count',
    'device_id': 'distinct_device_count',
    'cookie_id': 'distinct_cookie_count',
    'whatsapp': 'distinct_whatsapp_count',
    'qr_id': 'distinct_qr_id_count',
} %}

with

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

record_identifiers as (
    select * from {{ ref('int_identity_record_identifiers') }}
),

profile_records as (
    select
        profile_key,
        min(customer_id) as customer_id,
        min(cluster_key) as cluster_key,
        min(merge_decision) as merge_decision,
        count(*) as record_count,
        sum(case when source_system = 'commerce_customer' then 1 else 0 end) as commerce_customer_count,
        sum(case when source_system in ('crm_contact', 'crm_lead') then 1 else 0 end) as crm_record_count,
        sum(case when source_system = 'support_requester' then 1 else 0 end) as support_requester_count,
        sum(case when source_system = 'web_device' then 1 else 0 end) as web_device_count,
        min(first_seen_at) as first_seen_at
    from members
    group by profile_key
),

-- Distinct values per profile first, so the counts below need no count(distinct).
profile_identifier_values as (
    select distinct
        members.profile_key,
        record_identifiers.identifier_type,
        record_identifiers.identifier_value
    from members
    inner join record_identifiers
        on members.node_key = record_identifiers.node_key
),

profile_identifiers as (
    select
        profile_key,
        {%- for identifier_type, count_column in identifier_counts.items() %}
            cast(sum(case when identifier_type = '{{ identifier_type }}' then 1 else 0 end) as {{ dbt.type_bigint() }})
                as {{ count_column }},
        {%- endfor %}
        min(case when identifier_type = 'email' then identifier_value end) as primary_email,
        min(case when identifier_type = 'phone' then identifier_value end) as primary_phone_last10
    from profile_identifier_values
    group by profile_key
),

combined as (
    select
        profile_records.profile_key,
        profile_records.customer_id,
        profile_records.cluster_key,
        profile_records.merge_decision,
        profile_records.record_count,
        profile_records.commerce_customer_count,
        profile_records.crm_record_count,
        profile_records.support_requester_count,
        profile_records.web_device_count,
        {%- for count_column in identifier_counts.values() %}
            coalesce(profile_identifiers.{{ count_column }}, 0) as {{ count_column }},
        {%- endfor %}
        profile_identifiers.primary_email,
        profile_identifiers.primary_phone_last10,
        profile_records.first_seen_at
    from profile_records
    left join profile_identifiers
        on profile_records.profile_key = profile_identifiers.profile_key
),

scored as (
    select
        *,
        distinct_phone_count > 1 or distinct_loyalty_id_count > 1 as has_conflicting_identifiers,
        {{ identity_strength(identifier_counts) }} as raw_strength
    from combined
),

final as (
    select
        profile_key,
        customer_id,
        cluster_key,
        merge_decision,
        record_count,
        commerce_customer_count,
        crm_record_count,
        support_requester_count,
        web_device_count,
        {%- for count_column in identifier_counts.values() %}
            {{ count_column }},
        {%- endfor %}
        primary_email,
        primary_phone_last10,
        has_conflicting_identifiers,
        cast(raw_strength as numeric(4, 2)) as identity_strength_score,
        first_seen_at
    from scored
)

select * from final
