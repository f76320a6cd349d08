{#-
    Customer-success signals per account and day from the marketing, community, training,
    survey and support sources, pre-aggregated once for the point-in-time engagement features.
    Each source adds (account, day, signal, value) rows; the pivot at the end turns them into
    one column per signal, so a missing source only leaves its columns at zero. Every signal is
    dated when it became known: an attendance when the session was held, a survey answer when it
    was answered. Opens are not a daily signal: the open rate is per delivered message
    (account_engagement_features reads the messages themselves).
-#}
{%- set signals = account_engagement_signals() %}

with

email_events as (
    select * from {{ ref('stg_marketing__email_events') }}
),

posts as (
    select * from {{ ref('stg_community__posts') }}
),

enrollments as (
    select * from {{ ref('stg_training__enrollments') }}
),

survey_responses as (
    select * from {{ ref('stg_surveys__responses') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

competitors as (
    select * from {{ ref('competitors') }}
),

valid_email_events as (
    select *
    from email_events
    where not is_future_dated and account_id is not null
),

departures as (
    {#- A contact's first hard bounce: the address is gone, the person most likely left. -#}
    select
        account_id,
        recipient_email,
        min(occurred_at) as departed_at
    from valid_email_events
    where event_type = 'bounce' and bounce_type = 'hard' and recipient_email is not null
    group by account_id, recipient_email
),

account_posts as (
    select *
    from posts
    where not is_future_dated and account_id is not null
),

texts as (
    select
        account_id,
        created_at as written_at,
        post_body as text_value
    from account_posts
    union all
    select
        account_id,
        responded_at as written_at,
        survey_comment as text_value
    from survey_responses
    where
        not is_future_dated
        and responded_at is not null
        and survey_comment is not null
),

texts_naming_competitors as (
    select
        texts.account_id,
        texts.written_at,
        texts.text_value
    from texts
    inner join competitors
        on
            lower(texts.text_value) like {{ dbt.concat(["'%'", "lower(competitors.competitor_name)", "'%'"]) }}
    group by texts.account_id, texts.written_at, texts.text_value
),

held_sessions as (
    select *
    from enrollments
    where
        not is_future_dated
        and attendance_status in ('attended', 'no_show')
        and scheduled_at is not null
),

answered_surveys as (
    select *
    from survey_responses
    where not is_future_dated and responded_at is not null and nps_score is not null
),

signal_rows as (
    {#- (relation, date column, signal, value, condition) per signal; unioned below. -#}
    {%- set signal_sources = [
        ('valid_email_events', 'occurred_at', 'emails_delivered', '1', "event_type = 'delivered'"),
        ('valid_email_events', 'occurred_at', 'emails_bounced', '1', "event_type = 'bounce'"),
        ('departures', 'departed_at', 'contacts_departed', '1', 'true'),
        ('account_posts', 'created_at', 'community_posts', '1', 'true'),
        ('account_posts', 'created_at', 'feedback_posts', '1', "post_type in ('idea', 'feedback')"),
        ('tickets', 'created_at', 'feature_request_tickets', '1',
            "not is_future_dated and ticket_category = 'feature_request'"),
        ('texts_naming_competitors', 'written_at', 'competitor_mentions', '1', 'true'),
        ('held_sessions', 'scheduled_at', 'training_sessions_held', '1', 'true'),
        ('held_sessions', 'scheduled_at', 'training_attended', '1', "attendance_status = 'attended'"),
        ('held_sessions', 'scheduled_at', 'training_no_shows', '1', "attendance_status = 'no_show'"),
        ('held_sessions', 'completed_at', 'training_completed', '1', 'completed_at is not null'),
        ('survey_responses', 'sent_at', 'surveys_sent', '1', 'not is_future_dated'),
        ('answered_surveys', 'responded_at', 'surveys_answered', '1', 'true'),
        ('answered_surveys', 'responded_at', 'nps_score_sum', 'nps_score', 'true'),
    ] %}
    {%- for relation, date_column, signal, value, condition in signal_sources %}
        select
            account_id,
            cast({{ date_column }} as date) as activity_date,
            '{{ signal }}' as signal_name,
            {{ value }} as signal_value
        from {{ relation }}
        where {{ condition }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

pivoted as (
    select
        account_id,
        activity_date,
        {%- for signal in signals %}
            cast(sum(case when signal_name = '{{ signal }}' then signal_value else 0 end) as {{ dbt.type_int() }})
                as {{ signal }},
        {%- endfor %}
        cast(count(*) as {{ dbt.type_int() }}) as signal_count
    from signal_rows
    where account_id is not null and activity_date is not null
    group by account_id, activity_date
),

final as (
    select * from pivoted
)

select * from final
