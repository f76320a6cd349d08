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
        cast(profile_key as {{ dbt.type_string() }}) as profile_key,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(cluster_key as {{ dbt.type_string() }}) as cluster_key,
        cast(merge_decision as {{ dbt.type_string() }}) as merge_decision,
        cast(record_count as {{ dbt.type_int() }}) as record_count,
        cast(commerce_customer_count as {{ dbt.type_int() }}) as commerce_customer_count,
        cast(crm_record_count as {{ dbt.type_int() }}) as crm_record_count,
        cast(support_requester_count as {{ dbt.type_int() }}) as support_requester_count,
        cast(web_device_count as {{ dbt.type_int() }}) as web_device_count,
        cast(distinct_email_count as {{ dbt.type_int() }}) as distinct_email_count,
        cast(distinct_phone_count as {{ dbt.type_int() }}) as distinct_phone_count,
        cast(distinct_loyalty_id_count as {{ dbt.type_int() }}) as distinct_loyalty_id_count,
        cast(distinct_device_count as {{ dbt.type_int() }}) as distinct_device_count,
        cast(distinct_cookie_count as {{ dbt.type_int() }}) as distinct_cookie_count,
        cast(distinct_whatsapp_count as {{ dbt.type_int() }}) as distinct_whatsapp_count,
        cast(distinct_qr_id_count as {{ dbt.type_int() }}) as distinct_qr_id_count,
        cast({{ hash_pii('primary_email') }} as {{ dbt.type_string() }}) as email_hash,
        cast({{ hash_pii('primary_phone_last10') }} as {{ dbt.type_string() }}) as phone_hash,
        cast(has_conflicting_identifiers as {{ dbt.type_boolean() }}) as has_conflicting_identifiers,
        cast(identity_strength_score as numeric(4, 2)) as identity_strength_score,
        cast(first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at
    from profiles
)

select * from final
