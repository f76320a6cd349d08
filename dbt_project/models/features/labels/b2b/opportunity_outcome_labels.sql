{#- A table: outcomes are known only once a deal closes, so every build rebuilds them all. -#}
{{ config(materialized='table') }}
{#-
    One row per deal open at an as-of date that has since closed (before the run's as-of
    date): won or lost. Deals still open are unlabelled.
-#}

with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

closed_deals as (
    select *
    from opportunities
    where
        closed_at is not null
        and closed_at < ({{ run_as_of_date() }})
),

final as (
    select
        closed_deals.opportunity_id,
        as_of_dates.as_of_date,
        closed_deals.is_won,
        {{ days_between('as_of_dates.as_of_date', 'closed_deals.closed_at') }} as days_to_close
    from closed_deals
    inner join as_of_dates
        on
            closed_deals.opened_at < as_of_dates.as_of_date
            and closed_deals.closed_at >= as_of_dates.as_of_date
)

select * from final
