{#-
    The feature spine: `feature_spine_periods` as-of dates, the run's as-of date (the
    `as_of_date` var, else today UTC) and before it the dates of a fixed calendar grid,
    `step_days` apart from `feature_spine_anchor_date`. The grid does not move with the run
    date, so the next day's run shares every earlier date with today's and an incremental run
    builds only the new date (see as_of_dates_to_build). The step is `feature_spine_step_days`
    unless the order history before the as-of date is shorter than the spine would cover; then
    it shrinks (down to `feature_spine_min_step_days`) so that a short history still gives as
    many matured label dates as it can. Without orders (B2B only) the step is the var's.
-#}
{%- set periods = var('feature_spine_periods') -%}
{%- set max_step = var('feature_spine_step_days') -%}
{%- set min_step = [var('feature_spine_min_step_days', 7), max_step] | min -%}
{%- set anchor = "cast('" ~ var('feature_spine_anchor_date', '2000-01-03') ~ "' as date)" -%}

with

period_indexes as (
    select period_index
    from {{ integer_series(0, periods - 1, 'period_index') }}
),

run_date as (
    select {{ as_of_date_from_vars() }} as as_of_date
),

order_history as (
    select min(order_days.order_date) as first_order_date
    from {{ ref('int_customer_order_days') }} as order_days
    cross join run_date
    where order_days.order_date < run_date.as_of_date
),

step as (
    select
        run_date.as_of_date as run_as_of_date,
        cast(
            case
                when order_history.first_order_date is null then {{ max_step }}
                else greatest(
                        {{ min_step }},
                        least(
                            {{ max_step }},
                            ceil(
                                {{ days_between('order_history.first_order_date', 'run_date.as_of_date') }}
                                / {{ [periods - 1, 1] | max }}.0
                            )
                        )
                    )
            end as {{ dbt.type_int() }}
        ) as step_days
    from run_date
    cross join order_history
),

grid as (
    {#- Days from the run date back to the latest grid date strictly before it (1 to step). -#}
    select
        step.*,
        (
            {{ days_between(anchor, 'step.run_as_of_date') }}
            - 1
        ) % step.step_days + 1 as grid_offset_days
    from step
),

spine as (
    select
        case
            when period_indexes.period_index = 0 then step.run_as_of_date
            else cast(
                    {{ dbt.dateadd(
                        'day',
                        '-1 * (step.grid_offset_days + (period_indexes.period_index - 1) * step.step_days)',
                        'step.run_as_of_date'
                    ) }}
                    as date
                )
        end as as_of_date,
        period_indexes.period_index,
        period_indexes.period_index = 0 as is_latest,
        step.step_days
    from period_indexes
    cross join grid as step
),

final as (
    select * from spine
)

select * from final
