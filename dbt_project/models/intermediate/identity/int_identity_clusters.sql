{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    One row per connected component of the identity graph, with the merge decision: clusters of
    up to `identity_auto_merge_max_profiles` profile records merge automatically; larger ones
    merge only when approved in the seed `identity_merge_approvals`, and wait for review
    otherwise. The base profile of a merge is the shop record with the highest identity
    strength, then the oldest (first seen), then the smallest shop id; its id becomes the
    unified customer id. `cluster_key` fingerprints the sorted profile records (all records when there
    is no profile record), so an approval covers exactly the set the reviewer saw.
-#}
with

components as (
    select * from {{ ref('int_identity_components') }}
),

source_records as (
    select * from {{ ref('int_identity_source_records') }}
),

approvals as (
    select * from {{ ref('identity_merge_approvals') }}
),

record_strength as (
    select * from {{ ref('int_identity_record_strength') }}
),

component_records as (
    select
        components.component_label,
        source_records.node_key,
        source_records.is_profile_record,
        source_records.commerce_customer_id,
        record_strength.identity_strength_score,
        record_strength.first_seen_at
    from components
    inner join source_records
        on components.node_key = source_records.node_key
    inner join record_strength
        on components.node_key = record_strength.node_key
),

ranked_shop_records as (
    select
        component_label,
        commerce_customer_id,
        row_number() over (
            partition by component_label
            order by
                identity_strength_score desc,
                first_seen_at asc nulls last,
                commerce_customer_id asc
        ) as base_rank
    from component_records
    where commerce_customer_id is not null
),

base_shop_records as (
    select
        component_label,
        commerce_customer_id as base_commerce_customer_id
    from ranked_shop_records
    where base_rank = 1
),

cluster_totals as (
    select
        component_label,
        count(*) as record_count,
        sum(case when is_profile_record then 1 else 0 end) as profile_record_count,
        count(commerce_customer_id) as commerce_customer_count,
        min(commerce_customer_id) as smallest_commerce_customer_id,
        min(node_key) as smallest_node_key
    from component_records
    group by component_label
),

-- The member list is only spelled out for clusters of several records; one record's list is its key.
multi_record_keys as (
    select
        component_records.component_label,
        {{ dbt.listagg(
            "case when component_records.is_profile_record then component_records.node_key end",
            "'|'",
            "order by component_records.node_key"
        ) }} as profile_record_keys,
        {{ dbt.listagg('component_records.node_key', "'|'", 'order by component_records.node_key') }} as record_keys
    from component_records
    inner join cluster_totals
        on component_records.component_label = cluster_totals.component_label
    where cluster_totals.record_count > 1
    group by component_records.component_label
),

keyed as (
    select
        cluster_totals.component_label,
        {{ dbt.hash(
            'coalesce(multi_record_keys.profile_record_keys, multi_record_keys.record_keys, cluster_totals.smallest_node_key)'
        ) }} as cluster_key,
        cluster_totals.record_count,
        cast(cluster_totals.profile_record_count as {{ dbt.type_int() }}) as profile_record_count,
        cast(cluster_totals.commerce_customer_count as {{ dbt.type_int() }}) as commerce_customer_count,
        cluster_totals.smallest_commerce_customer_id,
        base_shop_records.base_commerce_customer_id,
        cluster_totals.smallest_node_key
    from cluster_totals
    left join multi_record_keys
        on cluster_totals.component_label = multi_record_keys.component_label
    left join base_shop_records
        on cluster_totals.component_label = base_shop_records.component_label
),

final as (
    select
        keyed.cluster_key,
        keyed.component_label,
        cast(keyed.record_count as {{ dbt.type_int() }}) as record_count,
        keyed.profile_record_count,
        keyed.commerce_customer_count,
        keyed.smallest_commerce_customer_id,
        keyed.base_commerce_customer_id,
        keyed.smallest_node_key,
        keyed.profile_record_count <= {{ var('identity_auto_merge_max_profiles') }} as is_within_auto_merge_limit,
        case
            when keyed.profile_record_count <= {{ var('identity_auto_merge_max_profiles') }} then 'auto_merged'
            when approvals.cluster_key is not null then 'approved'
            else 'pending_review'
        end as merge_decision,
        approvals.approved_by,
        cast(approvals.approved_at as {{ dbt.type_timestamp() }}) as approved_at
    from keyed
    left join approvals
        on keyed.cluster_key = approvals.cluster_key
)

select * from final
