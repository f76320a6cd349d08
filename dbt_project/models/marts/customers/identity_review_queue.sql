{#-
    Identity clusters too large to merge automatically (more than
    `identity_auto_merge_max_profiles` profile records), for a reviewer: pending ones stay
    unmerged until their cluster_key is added to the seed identity_merge_approvals. Member
    keys name records by system and id, never by email or phone.
-#}
with

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

record_identifiers as (
    select * from {{ ref('int_identity_record_identifiers') }}
),

queued as (
    select * from clusters
    where merge_decision in ('pending_review', 'approved')
),

queued_members as (
    select
        members.cluster_key,
        members.node_key,
        members.is_profile_record
    from members
    inner join queued
        on members.cluster_key = queued.cluster_key
),

member_lists as (
    select
        cluster_key,
        {{ dbt.listagg("case when is_profile_record then node_key end", "', '", 'order by node_key') }}
            as profile_record_keys
    from queued_members
    group by cluster_key
),

shared_identifier_types as (
    select
        queued_members.cluster_key,
        {{ dbt.listagg(
            'distinct record_identifiers.identifier_type', "','", 'order by record_identifiers.identifier_type'
        ) }} as linked_by
    from queued_members
    inner join record_identifiers
        on queued_members.node_key = record_identifiers.node_key
    where record_identifiers.records_with_identifier > 1
    group by queued_members.cluster_key
),

final as (
    select
        cast(queued.cluster_key as {{ dbt.type_string() }}) as cluster_key,
        cast(case when queued.merge_decision = 'approved' then 'approved' else 'pending' end as {{ dbt.type_string() }})
            as review_status,
        cast(queued.profile_record_count as {{ dbt.type_int() }}) as profile_record_count,
        cast(queued.record_count as {{ dbt.type_int() }}) as record_count,
        cast(queued.commerce_customer_count as {{ dbt.type_int() }}) as commerce_customer_count,
        cast(queued.base_commerce_customer_id as {{ dbt.type_bigint() }}) as proposed_customer_id,
        cast(member_lists.profile_record_keys as {{ dbt.type_string() }}) as profile_record_keys,
        cast(shared_identifier_types.linked_by as {{ dbt.type_string() }}) as linked_by,
        cast(queued.approved_by as {{ dbt.type_string() }}) as approved_by,
        cast(queued.approved_at as {{ dbt.type_timestamp() }}) as approved_at
    from queued
    left join member_lists
        on queued.cluster_key = member_lists.cluster_key
    left join shared_identifier_types
        on queued.cluster_key = shared_identifier_types.cluster_key
)

select * from final
