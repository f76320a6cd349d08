{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    The edges of the identity graph, as (record, identifier) pairs: two records are linked when
    they carry the same identifier. Identifiers are the cleaned staging values (lower-cased
    email, last ten phone and WhatsApp digits, upper-cased loyalty and QR code ids, hashed
    device and cookie ids) plus the shop customer id a signed-in web session names. A WhatsApp
    number is a phone number: it links through the `phone` key (`link_type`), so a WhatsApp
    opt-in matches the phone on a store record, while strength still counts it as its own
    type. Values carried by more than
    `identity_max_records_per_identifier` records (shared inboxes, store phones, placeholders)
    identify nobody and are dropped.
-#}
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

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

web_devices as (
    select * from {{ ref('int_identity_web_devices') }}
),

commerce_identifiers as (
    select
        {{ identity_node_key('commerce_customer', 'customer_id') }} as node_key,
        email,
        phone_last10,
        loyalty_id,
        whatsapp_last10,
        qr_id,
        cast(customer_id as {{ dbt.type_string() }}) as shop_customer_id
    from commerce_customers
),

crm_identifiers as (
    select
        {{ identity_node_key('crm_contact', 'contact_id') }} as node_key,
        email,
        phone_last10
    from crm_contacts

    union all

    select
        {{ identity_node_key('crm_lead', 'lead_id') }} as node_key,
        email,
        phone_last10
    from crm_leads
),

requester_identifiers as (
    select distinct
        {{ identity_node_key('support_requester', support_requester_key('requester_email', 'requester_phone_last10')) }}
            as node_key,
        requester_email as email,
        requester_phone_last10 as phone_last10
    from tickets
    where
        account_id is null
        and (requester_email is not null or requester_phone_last10 is not null)
),

device_sessions as (
    select
        node_key,
        email,
        cookie_key,
        cast(shop_customer_id as {{ dbt.type_string() }}) as shop_customer_id
    from web_devices
),

pairs as (
    select
        node_key,
        'email' as identifier_type,
        email as identifier_value
    from commerce_identifiers
    union all
    select
        node_key,
        'phone' as identifier_type,
        phone_last10 as identifier_value
    from commerce_identifiers
    union all
    select
        node_key,
        'loyalty_id' as identifier_type,
        loyalty_id as identifier_value
    from commerce_identifiers
    union all
    select
        node_key,
        'whatsapp' as identifier_type,
        whatsapp_last10 as identifier_value
    from commerce_identifiers
    union all
    select
        node_key,
        'qr_id' as identifier_type,
        qr_id as identifier_value
    from commerce_identifiers
    union all
    select
        node_key,
        'shop_customer_id' as identifier_type,
        shop_customer_id as identifier_value
    from commerce_identifiers
    union all
    select
        node_key,
        'email' as identifier_type,
        email as identifier_value
    from crm_identifiers
    union all
    select
        node_key,
        'phone' as identifier_type,
        phone_last10 as identifier_value
    from crm_identifiers
    union all
    select
        node_key,
        'email' as identifier_type,
        email as identifier_value
    from requester_identifiers
    union all
    select
        node_key,
        'phone' as identifier_type,
        phone_last10 as identifier_value
    from requester_identifiers
    union all
    -- the device itself: its key already is the hashed device id
    select distinct
        node_key,
        'device_id' as identifier_type,
        node_key as identifier_value
    from device_sessions
    union all
    select
        node_key,
        'cookie_id' as identifier_type,
        cookie_key as identifier_value
    from device_sessions
    union all
    select
        node_key,
        'email' as identifier_type,
        email as identifier_value
    from device_sessions
    union all
    select
        node_key,
        'shop_customer_id' as identifier_type,
        shop_customer_id as identifier_value
    from device_sessions
),

distinct_pairs as (
    select distinct
        node_key,
        identifier_type,
        case when identifier_type = 'whatsapp' then 'phone' else identifier_type end as link_type,
        identifier_value
    from pairs
    where identifier_value is not null
),

-- Distinct records per linking value (a record holding one number as phone and as WhatsApp
-- counts once): ranks up and down add to the count plus one, with no count(distinct) window.
with_record_counts as (
    select
        node_key,
        identifier_type,
        link_type,
        identifier_value,
        dense_rank() over (partition by link_type, identifier_value order by node_key)
        + dense_rank() over (partition by link_type, identifier_value order by node_key desc)
        - 1 as records_with_identifier
    from distinct_pairs
),

final as (
    select
        node_key,
        identifier_type,
        identifier_value,
        link_type || ':' || identifier_value as identifier_key,
        records_with_identifier
    from with_record_counts
    where records_with_identifier <= {{ var('identity_max_records_per_identifier') }}
)

select * from final
