{#-
    Each measure is dated when it became known: tickets and escalations when opened, CSAT
    and solve times when solved, response times at the first reply. A feature as of a date
    then sees only what an agent could have seen that day.
-#}

with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

account_tickets as (
    select *
    from tickets
    where
        account_id is not null
        and not is_future_dated
),

opened as (
    select
        account_id,
        cast(created_at as date) as activity_date,
        1 as opened_ticket_count,
        case when is_escalated then 1 else 0 end as escalated_ticket_count,
        case when ticket_priority in ('high', 'urgent') then 1 else 0 end as high_priority_ticket_count,
        0 as solved_ticket_count,
        cast(null as {{ dbt.type_float() }}) as csat_score,
        cast(null as {{ dbt.type_float() }}) as minutes_to_solve,
        cast(null as {{ dbt.type_float() }}) as minutes_to_first_response
    from account_tickets
),

solved as (
    select
        account_id,
        cast(solved_at as date) as activity_date,
        0 as opened_ticket_count,
        0 as escalated_ticket_count,
        0 as high_priority_ticket_count,
        1 as solved_ticket_count,
        cast(csat_score as {{ dbt.type_float() }}) as csat_score,
        cast(case when minutes_to_solve >= 0 then minutes_to_solve end as {{ dbt.type_float() }}) as minutes_to_solve,
        cast(null as {{ dbt.type_float() }}) as minutes_to_first_response
    from account_tickets
    where solved_at is not null
),

first_responses as (
    select
        account_id,
        cast(first_response_at as date) as activity_date,
        0 as opened_ticket_count,
        0 as escalated_ticket_count,
        0 as high_priority_ticket_count,
        0 as solved_ticket_count,
        cast(null as {{ dbt.type_float() }}) as csat_score,
        cast(null as {{ dbt.type_float() }}) as minutes_to_solve,
        cast(minutes_to_first_response as {{ dbt.type_float() }}) as minutes_to_first_response
    from account_tickets
    where
        first_response_at is not null
        and minutes_to_first_response >= 0
),

ticket_activity as (
    select * from opened
    union all
    select * from solved
    union all
    select * from first_responses
),

account_days as (
    select
        account_id,
        activity_date,
        cast(sum(opened_ticket_count) as {{ dbt.type_int() }}) as opened_ticket_count,
        cast(sum(escalated_ticket_count) as {{ dbt.type_int() }}) as escalated_ticket_count,
        cast(sum(high_priority_ticket_count) as {{ dbt.type_int() }}) as high_priority_ticket_count,
        cast(sum(solved_ticket_count) as {{ dbt.type_int() }}) as solved_ticket_count,
        cast(count(csat_score) as {{ dbt.type_int() }}) as csat_response_count,
        sum(csat_score) as csat_score_sum,
        sum(minutes_to_solve) as minutes_to_solve_sum,
        cast(count(minutes_to_solve) as {{ dbt.type_int() }}) as timed_solve_count,
        sum(minutes_to_first_response) as minutes_to_first_response_sum,
        cast(count(minutes_to_first_response) as {{ dbt.type_int() }}) as first_response_count
    from ticket_activity
    group by account_id, activity_date
),

final as (
    select * from account_days
)

select * from final
