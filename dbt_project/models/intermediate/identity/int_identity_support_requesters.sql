{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Shoppers who opened support tickets (tickets without a CRM account). A requester is keyed by
    the hash of their email, else of their phone; the key never shows the raw value.
-#}
with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

shopper_tickets as (
    select
        ticket_id,
        requester_email,
        requester_phone_last10,
        created_at,
        {{ support_requester_key('requester_email', 'requester_phone_last10') }} as requester_key
    from tickets
    where
        account_id is null
        and (requester_email is not null or requester_phone_last10 is not null)
),

requesters as (
    select
        requester_key,
        min(created_at) as first_ticket_at,
        count(*) as ticket_count
    from shopper_tickets
    group by requester_key
),

final as (
    select
        {{ identity_node_key('support_requester', 'requesters.requester_key') }} as node_key,
        requesters.requester_key,
        requesters.first_ticket_at,
        requesters.ticket_count
    from requesters
)

select * from final
