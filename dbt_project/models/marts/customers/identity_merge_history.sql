{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}
{#-
    Audit trail of identity resolution: a row each time a source record is first seen or moves
    to another profile or merge decision (merged, approved, split when an approval is
    withdrawn), with the identifiers that tied it and the build that recorded it. Append-only:
    the current assignment of a record is its latest row.
-#}
with

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

current_assignments as (
    select
        node_key,
        source_system,
        source_record_id,
        profile_key,
        customer_id,
        cluster_key,
        merge_decision,
        matched_on,
        approved_by
    from members
),

{% if is_incremental() %}
latest_recorded as (
    select
        node_key,
        profile_key,
        merge_decision
    from (
        select
            node_key,
            profile_key,
            merge_decision,
            row_number() over (partition by node_key order by recorded_at desc) as recency_rank
        from {{ this }}
    ) as ranked
    where recency_rank = 1
),

changed as (
    select current_assignments.*
    from current_assignments
    left join latest_recorded
        on current_assignments.node_key = latest_recorded.node_key
    where
        latest_recorded.node_key is null
        or latest_recorded.profile_key <> current_assignments.profile_key
        or latest_recorded.merge_decision <> current_assignments.merge_decision
),
{% else %}
    changed as (
        select * from current_assignments
    ),
{% endif %}

final as (
    select
        cast(node_key as {{ dbt.type_string() }}) as node_key,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(profile_key as {{ dbt.type_string() }}) as profile_key,
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(cluster_key as {{ dbt.type_string() }}) as cluster_key,
        cast(merge_decision as {{ dbt.type_string() }}) as merge_decision,
        cast(matched_on as {{ dbt.type_string() }}) as matched_on,
        cast(approved_by as {{ dbt.type_string() }}) as approved_by,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as recorded_at
    from changed
)

select * from final
