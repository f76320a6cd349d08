{#-
    Every unified identity profile, with or without a shop record (CRM-only people, support
    requesters, anonymous devices keep their own profile_key): sources, identifier counts,
    conflicts and strength score. Identifiers appear hashed only.
-#}
with

profiles as (
    select * from {{ ref('int_identity_profiles') }}
),

final as (
    select
        cast(profile_key as varchar) as profile_key,
        cast(customer_id as bigint) as customer_id,
        cast(cluster_key as varchar) as cluster_key,
        cast(merge_decision as varchar) as merge_decision,
        cast(record_count as integer) as record_count,
        cast(commerce_customer_count as integer) as commerce_customer_count,
        cast(crm_record_count as integer) as crm_record_count,
        cast(support_requester_count as integer) as support_requester_count,
        cast(web_device_count as integer) as web_device_count,
        cast(distinct_email_count as integer) as distinct_email_count,
        cast(distinct_phone_count as integer) as distinct_phone_count,
        cast(distinct_loyalty_id_count as integer) as distinct_loyalty_id_count,
        cast(distinct_device_count as integer) as distinct_device_count,
        cast({{ hash_pii('primary_email') }} as varchar) as email_hash,
        cast({{ hash_pii('primary_phone_last10') }} as varchar) as phone_hash,
        cast(has_conflicting_identifiers as boolean) as has_conflicting_identifiers,
        cast(identity_strength_score as numeric(4, 2)) as identity_strength_score,
        cast(first_seen_at as timestamp) as first_seen_at
    from profiles
)

select * from final
