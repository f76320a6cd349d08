{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Shopper support tickets (no CRM account) attributed to the unified customer through the
    requester's identity profile; tickets of requesters not linked to a shop record stay
    unattributed.
-#}
with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

keyed_tickets as (
    select
        *,
        {{ identity_node_key('support_requester', support_requester_key('requester_email', 'requester_phone_last10')) }}
            as requester_node_key
    from tickets
),

final as (
    select
        tickets.ticket_id,
        members.customer_id,
        cast(tickets.created_at as date) as ticket_date,
        tickets.created_at,
        tickets.is_escalated,
        tickets.csat_score
    from keyed_tickets as tickets
    left join members
        on tickets.requester_node_key = members.node_key
    where tickets.account_id is null and tickets.created_at is not null
)

select * from final
