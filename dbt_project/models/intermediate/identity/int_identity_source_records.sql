{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    The nodes of the identity graph: every source record that identifies a person. Profile
    records (shop customers, CRM contacts and leads) are what the auto-merge limit counts;
    support requesters and web devices are touchpoints that link them.
-#}
{%- set profile_record_types = var('identity_profile_record_types') -%}

with

commerce_customers as (
    select * from {{ ref('stg_commerce__customers') }}
),

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

crm_leads as (
    select * from {{ ref('stg_crm__leads') }}
),

support_requesters as (
    select * from {{ ref('int_identity_support_requesters') }}
),

web_devices as (
    select * from {{ ref('int_identity_web_devices') }}
),

source_records as (
    select
        {{ identity_node_key('commerce_customer', 'customer_id') }} as node_key,
        'commerce_customer' as source_system,
        cast(customer_id as {{ dbt.type_string() }}) as source_record_id,
        customer_id as commerce_customer_id,
        created_at as first_seen_at
    from commerce_customers

    union all

    {%- for source_system, crm_relation, id_column in [
        ('crm_contact', 'crm_contacts', 'contact_id'),
        ('crm_lead', 'crm_leads', 'lead_id'),
    ] %}
        select
            {{ identity_node_key(source_system, id_column) }} as node_key,
            '{{ source_system }}' as source_system,
            cast({{ id_column }} as {{ dbt.type_string() }}) as source_record_id,
            cast(null as {{ dbt.type_bigint() }}) as commerce_customer_id,
            created_at as first_seen_at
        from {{ crm_relation }}

        union all
    {%- endfor %}

    select
        node_key,
        'support_requester' as source_system,
        requester_key as source_record_id,
        cast(null as {{ dbt.type_bigint() }}) as commerce_customer_id,
        first_ticket_at as first_seen_at
    from support_requesters

    union all

    select
        node_key,
        'web_device' as source_system,
        min(device_key) as source_record_id,
        cast(null as {{ dbt.type_bigint() }}) as commerce_customer_id,
        min(first_session_at) as first_seen_at
    from web_devices
    group by node_key
),

final as (
    select
        node_key,
        source_system,
        source_record_id,
        commerce_customer_id,
        source_system in (
            {%- for record_type in profile_record_types %}
                '{{ record_type }}'{{ "," if not loop.last }}
            {%- endfor %}
        ) as is_profile_record,
        first_seen_at
    from source_records
)

select * from final
