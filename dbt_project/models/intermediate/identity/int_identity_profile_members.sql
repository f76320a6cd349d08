{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Which unified profile each source record belongs to. Merged clusters (auto or approved)
    form one profile; records of a cluster waiting for review stay profiles of their own. The
    unified `customer_id` is the id of the profile's base shop record (highest identity
    strength, then oldest, then smallest id: `int_identity_clusters`; on an export of orders
    alone it equals the export's own id); a profile without a shop record has none and
    is known by `profile_key` only. `matched_on` lists the identifier types that tie the
    record to the other records of its profile.
-#}
with

source_records as (
    select * from {{ ref('int_identity_source_records') }}
),

record_identifiers as (
    select * from {{ ref('int_identity_record_identifiers') }}
),

components as (
    select * from {{ ref('int_identity_components') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

assigned as (
    select
        source_records.node_key,
        source_records.source_system,
        source_records.source_record_id,
        source_records.commerce_customer_id,
        source_records.is_profile_record,
        source_records.first_seen_at,
        clusters.cluster_key,
        clusters.merge_decision,
        clusters.approved_by,
        clusters.approved_at,
        clusters.merge_decision in ('auto_merged', 'approved') as is_merged,
        clusters.record_count as cluster_record_count,
        case
            when clusters.merge_decision not in ('auto_merged', 'approved')
                then source_records.node_key
            when clusters.base_commerce_customer_id is not null
                then {{ identity_node_key('commerce_customer', 'clusters.base_commerce_customer_id') }}
            else clusters.smallest_node_key
        end as profile_key,
        case
            when clusters.merge_decision in ('auto_merged', 'approved')
                then clusters.base_commerce_customer_id
            else source_records.commerce_customer_id
        end as customer_id
    from source_records
    inner join components
        on source_records.node_key = components.node_key
    inner join clusters
        on components.component_label = clusters.component_label
),

profile_identifiers as (
    select
        assigned.profile_key,
        assigned.node_key,
        record_identifiers.identifier_type,
        record_identifiers.identifier_key
    from assigned
    inner join record_identifiers
        on assigned.node_key = record_identifiers.node_key
    where
        assigned.is_merged
        and assigned.cluster_record_count > 1
        and record_identifiers.records_with_identifier > 1
),

shared_identifiers as (
    select
        profile_key,
        identifier_key
    from profile_identifiers
    group by profile_key, identifier_key
    having count(*) > 1
),

record_matches as (
    select
        profile_identifiers.node_key,
        {{ dbt.listagg(
            'distinct profile_identifiers.identifier_type', "','", 'order by profile_identifiers.identifier_type'
        ) }} as matched_on
    from profile_identifiers
    inner join shared_identifiers
        on
            profile_identifiers.profile_key = shared_identifiers.profile_key
            and profile_identifiers.identifier_key = shared_identifiers.identifier_key
    group by profile_identifiers.node_key
),

final as (
    select
        assigned.node_key,
        assigned.source_system,
        assigned.source_record_id,
        assigned.profile_key,
        assigned.customer_id,
        assigned.commerce_customer_id,
        assigned.cluster_key,
        assigned.merge_decision,
        assigned.is_merged,
        assigned.is_profile_record,
        record_matches.matched_on,
        assigned.approved_by,
        assigned.approved_at,
        assigned.first_seen_at
    from assigned
    left join record_matches
        on assigned.node_key = record_matches.node_key
)

select * from final
