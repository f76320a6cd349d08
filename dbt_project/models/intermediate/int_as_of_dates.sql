{#- The run's as-of date: the `as_of_date` var, else today (UTC). -#}
{%- set as_of_date = var('as_of_date', none) -%}
{%- set days_back = '-1 * period_indexes.period_index * ' ~ var('feature_spine_step_days') -%}

with

period_indexes as (
    select period_index
    from generate_series(0, {{ var('feature_spine_periods') - 1 }}) as periods (period_index)
),

run_date as (
    select
        {% if as_of_date -%}
            cast('{{ as_of_date }}' as date)
        {%- else -%}
            cast({{ utc_now() }} as date)
        {%- endif %} as run_as_of_date
),

spine as (
    select
        cast({{ dbt.dateadd('day', days_back, 'run_date.run_as_of_date') }} as date) as as_of_date,
        period_indexes.period_index,
        period_indexes.period_index = 0 as is_latest
    from period_indexes
    cross join run_date
),

final as (
    select * from spine
)

select * from final
