{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook="{{ prune_dates_outside_spine() }}",
    )
}}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

support_daily as (
    select * from {{ ref('int_account_support_daily') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

account_spine as (
    {{ b2b_account_spine('accounts', 'as_of_dates') }}
),

support_in_window as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        support_daily.opened_ticket_count,
        support_daily.escalated_ticket_count,
        support_daily.high_priority_ticket_count,
        support_daily.csat_score_sum,
        support_daily.csat_response_count,
        support_daily.minutes_to_first_response_sum,
        support_daily.first_response_count,
        support_daily.minutes_to_solve_sum,
        support_daily.timed_solve_count,
        {{ days_between('support_daily.activity_date', 'account_spine.as_of_date') }} as days_ago
    from account_spine
    inner join support_daily
        on
            account_spine.account_id = support_daily.account_id
            and account_spine.as_of_date > support_daily.activity_date
            and support_daily.activity_date >= {{ days_before('account_spine.as_of_date', 180) }}
),

support_windows as (
    select
        account_id,
        as_of_date,
        sum(case when days_ago <= 30 then opened_ticket_count else 0 end) as tickets_30d,
        sum(case when days_ago <= 90 then opened_ticket_count else 0 end) as tickets_90d,
        sum(case when days_ago > 90 then opened_ticket_count else 0 end) as tickets_prior_90d,
        sum(case when days_ago <= 30 then escalated_ticket_count else 0 end) as escalations_30d,
        sum(case when days_ago <= 90 then escalated_ticket_count else 0 end) as escalations_90d,
        sum(case when days_ago <= 30 then high_priority_ticket_count else 0 end) as high_priority_tickets_30d,
        sum(case when days_ago <= 90 then csat_score_sum end) as csat_score_sum_90d,
        sum(case when days_ago <= 90 then csat_response_count else 0 end) as csat_responses_90d,
        sum(case when days_ago > 90 then csat_score_sum end) as csat_score_sum_prior_90d,
        sum(case when days_ago > 90 then csat_response_count else 0 end) as csat_responses_prior_90d,
        sum(case when days_ago <= 90 then minutes_to_first_response_sum end) as first_response_minutes_90d,
        sum(case when days_ago <= 90 then first_response_count else 0 end) as first_responses_90d,
        sum(case when days_ago <= 90 then minutes_to_solve_sum end) as solve_minutes_90d,
        sum(case when days_ago <= 90 then timed_solve_count else 0 end) as timed_solves_90d
    from support_in_window
    group by account_id, as_of_date
),

open_tickets as (
    {#- Tickets opened before the as-of date and not yet solved then (last 180 days). -#}
    select
        account_spine.account_id,
        account_spine.as_of_date,
        count(*) as open_ticket_count
    from account_spine
    inner join tickets
        on
            account_spine.account_id = tickets.account_id
            and account_spine.as_of_date > tickets.created_at
            and tickets.created_at >= {{ days_before('account_spine.as_of_date', 180) }}
            and (tickets.solved_at is null or account_spine.as_of_date <= tickets.solved_at)
    where not tickets.is_future_dated
    group by account_spine.account_id, account_spine.as_of_date
),

final as (
    select
        account_spine.account_id,
        account_spine.as_of_date,
        cast(coalesce(support_windows.tickets_30d, 0) as {{ dbt.type_int() }}) as tickets_30d,
        cast(coalesce(support_windows.tickets_90d, 0) as {{ dbt.type_int() }}) as tickets_90d,
        cast(
            coalesce(support_windows.tickets_90d, 0) - coalesce(support_windows.tickets_prior_90d, 0)
            as {{ dbt.type_int() }}
        ) as ticket_count_change_90d,
        cast(coalesce(support_windows.escalations_30d, 0) as {{ dbt.type_int() }}) as escalations_30d,
        cast(coalesce(support_windows.escalations_90d, 0) as {{ dbt.type_int() }}) as escalations_90d,
        coalesce({{ safe_ratio('support_windows.escalations_90d', 'support_windows.tickets_90d') }}, 0)
            as escalation_rate_90d,
        cast(coalesce(support_windows.high_priority_tickets_30d, 0) as {{ dbt.type_int() }})
            as high_priority_tickets_30d,
        cast(coalesce(open_tickets.open_ticket_count, 0) as {{ dbt.type_int() }}) as open_tickets,
        {{ safe_ratio('support_windows.csat_score_sum_90d', 'support_windows.csat_responses_90d') }}
            as csat_avg_90d,
        {{ safe_ratio('support_windows.csat_score_sum_90d', 'support_windows.csat_responses_90d') }}
        - {{ safe_ratio('support_windows.csat_score_sum_prior_90d', 'support_windows.csat_responses_prior_90d') }}
            as csat_trend_90d,
        cast(coalesce(support_windows.csat_responses_90d, 0) as {{ dbt.type_int() }}) as csat_responses_90d,
        {{ safe_ratio('support_windows.first_response_minutes_90d', 'support_windows.first_responses_90d') }}
            as avg_first_response_minutes_90d,
        {{ safe_ratio('support_windows.solve_minutes_90d', 'support_windows.timed_solves_90d') }}
            as avg_solve_minutes_90d
    from account_spine
    left join support_windows
        on
            account_spine.account_id = support_windows.account_id
            and account_spine.as_of_date = support_windows.as_of_date
    left join open_tickets
        on
            account_spine.account_id = open_tickets.account_id
            and account_spine.as_of_date = open_tickets.as_of_date
)

select * from final
