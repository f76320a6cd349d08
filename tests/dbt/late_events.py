"""The late events the point-in-time tests add: copies of raw rows re-dated to the checked day D
and after it, per domain. ``{moment}`` is the batch's timestamp, ``{id_offset}`` its id offset
(see ``tests/dbt/point_in_time.py``); the domains that copy the same table shift their ids apart.
"""

from __future__ import annotations

# Customer features: orders and web sessions.
CUSTOMER_EVENTS = (
    """
    insert into raw_commerce.orders
    select * replace (order_id + {id_offset} as order_id, {moment} as ordered_at)
    from raw_commerce.orders
    where order_id is not null and customer_id is not null
    order by order_id
    limit 200
    """,
    """
    insert into raw_commerce.web_sessions
    select * replace (
        session_id || '-leak{id_offset}' as session_id,
        {moment} as started_at,
        {moment} + interval 10 minute as ended_at
    )
    from raw_commerce.web_sessions
    where session_id is not null and customer_id is not null
    order by session_id
    limit 200
    """,
)

# B2B features (accounts, opportunities, leads).
B2B_EVENTS = (
    """
    insert into raw_product.usage_events
    select * replace (event_id + {id_offset} as event_id, {moment} as occurred_at)
    from raw_product.usage_events where account_id is not null order by event_id limit 500
    """,
    """
    insert into raw_support.tickets
    select * replace (
        ticket_id + {id_offset} as ticket_id, {moment} as created_at, true as is_escalated,
        {moment} + interval 1 hour as first_response_at, {moment} + interval 5 hour as solved_at,
        1 as csat_score
    )
    from raw_support.tickets where account_id is not null order by ticket_id limit 200
    """,
    """
    insert into raw_billing.invoices
    select * replace (
        invoice_id || '-late{id_offset}' as invoice_id, {moment} as issued_at,
        {moment} as due_at, 99999 as amount_due
    )
    from raw_billing.invoices where account_id is not null order by invoice_id limit 200
    """,
    """
    insert into raw_billing.payments
    select * replace (
        payment_id || '-late{id_offset}' as payment_id, 'failed' as status, {moment} as paid_at
    )
    from raw_billing.payments order by payment_id limit 200
    """,
    """
    insert into raw_crm.opportunity_stage_history
    select * replace (
        history_id || '-late{id_offset}' as history_id, 'negotiation' as stage,
        {moment} as changed_at, 1 as amount
    )
    from raw_crm.opportunity_stage_history order by history_id limit 300
    """,
    """
    insert into raw_crm.leads
    select * replace (
        lead_id || '-late{id_offset}' as lead_id, {moment} as created_at, null as converted_at
    )
    from raw_crm.leads order by lead_id limit 100
    """,
)
# A re-delivered lead (a later load wins) that converts exactly at the checked date.
B2B_CONVERSION_AT_CHECKED_DATE = """
    insert into raw_crm.leads
    select * replace (
        cast('{day}' as timestamp) as converted_at, 'converted' as status,
        _loaded_at + interval 1 day as _loaded_at
    )
    from raw_crm.leads
    where converted_at is null and created_at < cast('{day}' as timestamp) - interval 100 day
    order by lead_id limit 20
"""


# Customer-success features (engagement, adoption): email opens and hard bounces, community
# posts naming a competitor, attended and missed training, NPS answers, product logins.
SUCCESS_EVENTS = (
    """
    insert into raw_marketing.email_events
    select * replace (
        event_id + {id_offset} as event_id, message_id || '-late{id_offset}' as message_id,
        {moment} as occurred_at,
        case when event_id % 2 = 0 then 'open' else 'bounce' end as event_type,
        case when event_id % 2 = 0 then null else 'hard' end as bounce_type
    )
    from raw_marketing.email_events where account_id is not null order by event_id limit 600
    """,
    """
    insert into raw_community.posts
    select * replace (
        post_id + {id_offset} as post_id, {moment} as created_at, 'feedback' as post_type,
        'We are moving to Contoso.' as body
    )
    from raw_community.posts where account_id is not null order by post_id limit 200
    """,
    """
    insert into raw_training.enrollments
    select * replace (
        enrollment_id || '-late{id_offset}' as enrollment_id, {moment} as registered_at,
        {moment} as scheduled_at,
        case when length(enrollment_id) % 2 = 0 then 'attended' else 'no_show' end
            as attendance_status,
        {moment} + interval 1 hour as completed_at
    )
    from raw_training.enrollments order by enrollment_id limit 400
    """,
    """
    insert into raw_surveys.responses
    select * replace (
        response_id || '-late{id_offset}' as response_id, {moment} as sent_at,
        {moment} + interval 1 hour as responded_at, 0 as nps_score,
        'Considering Fabrikam instead.' as comment
    )
    from raw_surveys.responses order by response_id limit 200
    """,
    """
    insert into raw_product.usage_events
    select * replace (
        event_id + {id_offset} as event_id, {moment} as occurred_at, 'login' as event_name,
        'integrations' as feature_key
    )
    from raw_product.usage_events where account_id is not null order by event_id limit 500
    """,
)

# What the customer-success events must move at L (the features of D must not move at all).
TOTAL_NAMES = (
    "competitor_mentions_90d",
    "training_no_shows_90d",
    "contacts_departed_180d",
    "survey_responses_180d",
    "integration_usage_count_90d",
    "logins_30d",
)
TOTALS_AT_L = """
    select
        (select sum(competitor_mentions_90d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(training_no_shows_90d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(contacts_departed_180d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(survey_responses_180d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(integration_usage_count_90d) from features.account_adoption_features
         where as_of_date = cast($1 as date)),
        (select sum(logins_30d) from features.account_adoption_features
         where as_of_date = cast($1 as date))
"""
