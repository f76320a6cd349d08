{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Connected components of the identity graph by min-label propagation, portable to every
    warehouse (no recursion): each record starts labelled with its own number; each round, an
    identifier takes the smallest label among its records, a record the smallest label among its
    identifiers, and then the label of its label (pointer jumping, which halves the remaining
    distance). After `identity_label_propagation_iterations` rounds one more round is run as a
    check: `is_converged` is false for any record whose label would still move, and a test
    fails on it. Chains (A-B via email, B-C via phone) end with one label.
-#}
{%- set iterations = var('identity_label_propagation_iterations') -%}

with

source_records as (
    select * from {{ ref('int_identity_source_records') }}
),

record_identifiers as (
    select * from {{ ref('int_identity_record_identifiers') }}
),

numbered_records as (
    select
        node_key,
        row_number() over (order by node_key) as node_number
    from source_records
),

-- Only identifiers held by two or more records link anything; numbers join faster than text.
linking_identifiers as (
    select
        node_key,
        dense_rank() over (order by identifier_key) as identifier_number
    from record_identifiers
    where records_with_identifier > 1
),

edges as (
    select distinct
        numbered_records.node_number,
        linking_identifiers.identifier_number
    from linking_identifiers
    inner join numbered_records
        on linking_identifiers.node_key = numbered_records.node_key
),

labels_0 as (
    select distinct
        node_number,
        node_number as component_label
    from edges
),

{% for round in range(1, iterations + 2) %}
    identifier_labels_{{ round }} as (
        select
            edges.identifier_number,
            min(labels_{{ round - 1 }}.component_label) as component_label
        from edges
        inner join labels_{{ round - 1 }}
            on edges.node_number = labels_{{ round - 1 }}.node_number
        group by edges.identifier_number
    ),

    hooked_{{ round }} as (
        select
            edges.node_number,
            min(identifier_labels_{{ round }}.component_label) as component_label
        from edges
        inner join identifier_labels_{{ round }}
            on edges.identifier_number = identifier_labels_{{ round }}.identifier_number
        group by edges.node_number
    ),

    labels_{{ round }} as (
        {{ identity_pointer_jump('hooked_' ~ round) }}
    ),

{% endfor %}
final as (
    select
        numbered_records.node_key,
        coalesce(settled.component_label, numbered_records.node_number) as component_label,
        coalesce(settled.component_label = check_round.component_label, true) as is_converged
    from numbered_records
    left join labels_{{ iterations }} as settled
        on numbered_records.node_number = settled.node_number
    left join labels_{{ iterations + 1 }} as check_round
        on numbered_records.node_number = check_round.node_number
)

select * from final
