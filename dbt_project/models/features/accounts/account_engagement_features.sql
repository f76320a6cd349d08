{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'as_of_date'],
        post_hook="{{ prune_dates_outside_spine() }}",
    )
}}

{#-
    Customer-success engagement of B2B accounts before each as-of date: marketing email opens
    and bounces, community activity, product feedback, competitor mentions, training attendance,
    NPS answers and their change, and stakeholder turnover (contacts whose address hard-bounced
    against the contacts known). Only signals dated strictly before the as-of date count. The
    open rate is per delivered message: of the messages delivered in the 90 days, the share
    opened before the as-of date (an open dated in the window of a message delivered before it
    would push a rate of opens over deliveries above 1).
-#}
{%- set signals = account_engagement_signals() %}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

email_events as (
    select * from {{ ref('stg_marketing__email_events') }}
),

engagement_daily as (
    select * from {{ ref('int_account_engagement_daily') }}
),

first_as_of_date as (
    select min(as_of_date) as as_of_date from as_of_dates
),

account_spine as (
    {{ b2b_account_spine('accounts', 'as_of_dates') }}
),

engagement_by_as_of as (
    {#- Each daily row meets the as-of dates whose 360-day window holds it (date table first). -#}
    select
        engagement_daily.*,
        as_of_dates.as_of_date,
        {{ days_between('engagement_daily.activity_date', 'as_of_dates.as_of_date') }} as days_ago
    {{ from_days_before_as_of('engagement_daily', 'activity_date', 360) }}
),

engagement_windows as (
    select
        account_id,
        as_of_date,
        {%- for signal in signals %}
            sum(case when days_ago <= 30 then {{ signal }} else 0 end) as {{ signal }}_30d,
            sum(case when days_ago <= 90 then {{ signal }} else 0 end) as {{ signal }}_90d,
            sum(case when days_ago <= 180 then {{ signal }} else 0 end) as {{ signal }}_180d,
            sum(case when days_ago > 180 then {{ signal }} else 0 end) as {{ signal }}_prior_180d,
        {%- endfor %}
        count(*) as active_days_360d
    from engagement_by_as_of
    group by account_id, as_of_date
),

delivered_messages as (
    {#- One row per delivered message: the day it was delivered and its first open, if any. -#}
    select
        delivered.account_id,
        delivered.message_id,
        min(cast(delivered.occurred_at as date)) as delivered_date,
        min(opens.occurred_at) as first_opened_at
    from email_events as delivered
    left join email_events as opens
        on
            delivered.message_id = opens.message_id
            and opens.event_type = 'open'
            and not opens.is_future_dated
    where
        delivered.event_type = 'delivered'
        and not delivered.is_future_dated
        and delivered.account_id is not null
        and delivered.message_id is not null
    group by delivered.account_id, delivered.message_id
),

opened_messages as (
    select
        delivered_messages.account_id,
        as_of_dates.as_of_date,
        count(*) as messages_opened_90d
    {{ from_days_before_as_of(
        'delivered_messages', 'delivered_date', 90,
        condition='delivered_messages.first_opened_at < cast(as_of_dates.as_of_date as ' ~ dbt.type_timestamp() ~ ')'
    ) }}
    group by delivered_messages.account_id, as_of_dates.as_of_date
),

known_contacts as (
    select
        as_of_dates.as_of_date,
        contacts.account_id,
        count(*) as contact_count
    from contacts
    inner join as_of_dates
        on contacts.created_at < as_of_dates.as_of_date
    group by as_of_dates.as_of_date, contacts.account_id
),

final as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        cast(coalesce(windows.emails_delivered_90d, 0) as {{ dbt.type_int() }}) as emails_delivered_90d,
        {{ safe_ratio('coalesce(opened_messages.messages_opened_90d, 0)', 'windows.emails_delivered_90d') }}
            as email_open_rate_90d,
        {{ safe_ratio('windows.emails_bounced_90d', 'windows.emails_delivered_90d + windows.emails_bounced_90d') }}
            as email_bounce_rate_90d,
        cast(coalesce(windows.community_posts_30d, 0) as {{ dbt.type_int() }}) as community_posts_30d,
        cast(coalesce(windows.community_posts_90d, 0) as {{ dbt.type_int() }}) as community_posts_90d,
        cast(
            coalesce(windows.community_posts_90d, 0)
            - (coalesce(windows.community_posts_180d, 0) - coalesce(windows.community_posts_90d, 0))
            as {{ dbt.type_int() }}
        ) as community_posts_change_90d,
        cast(
            coalesce(windows.feedback_posts_90d, 0) + coalesce(windows.feature_request_tickets_90d, 0)
            as {{ dbt.type_int() }}
        ) as product_feedback_90d,
        cast(coalesce(windows.competitor_mentions_90d, 0) as {{ dbt.type_int() }}) as competitor_mentions_90d,
        cast(coalesce(windows.training_sessions_held_180d, 0) as {{ dbt.type_int() }}) as training_sessions_180d,
        {{ safe_ratio('windows.training_completed_180d', 'windows.training_sessions_held_180d') }}
            as training_completion_rate_180d,
        cast(coalesce(windows.training_no_shows_90d, 0) as {{ dbt.type_int() }}) as training_no_shows_90d,
        cast(coalesce(windows.surveys_answered_180d, 0) as {{ dbt.type_int() }}) as survey_responses_180d,
        {{ safe_ratio('windows.surveys_answered_180d', 'windows.surveys_sent_180d') }} as survey_response_rate_180d,
        {{ safe_ratio('windows.surveys_answered_180d', 'windows.surveys_sent_180d') }}
        - {{ safe_ratio('windows.surveys_answered_prior_180d', 'windows.surveys_sent_prior_180d') }}
            as survey_response_rate_change_180d,
        {{ safe_ratio('windows.nps_score_sum_180d', 'windows.surveys_answered_180d') }} as nps_avg_180d,
        {{ safe_ratio('windows.nps_score_sum_180d', 'windows.surveys_answered_180d') }}
        - {{ safe_ratio('windows.nps_score_sum_prior_180d', 'windows.surveys_answered_prior_180d') }}
            as nps_change_180d,
        cast(coalesce(windows.contacts_departed_180d, 0) as {{ dbt.type_int() }}) as contacts_departed_180d,
        {{ b2b_clamp_unit(safe_ratio('windows.contacts_departed_180d', 'known_contacts.contact_count')) }}
            as stakeholder_turnover_rate_180d
    from account_spine
    left join engagement_windows as windows
        on
            account_spine.account_id = windows.account_id
            and account_spine.as_of_date = windows.as_of_date
    left join opened_messages
        on
            account_spine.account_id = opened_messages.account_id
            and account_spine.as_of_date = opened_messages.as_of_date
    left join known_contacts
        on
            account_spine.account_id = known_contacts.account_id
            and account_spine.as_of_date = known_contacts.as_of_date
)

select * from final
