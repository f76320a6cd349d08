{#-
    The run's as-of date: what "today" is for every point-in-time model. Only events strictly
    before it count. It is the `as_of_date` var (the run as it would have been on that date),
    else the current date in UTC; the spine (int_as_of_dates) is built back from it.
-#}

{#- The run's as-of date from the vars, as a date expression: the root of the spine. -#}
{% macro as_of_date_from_vars() -%}
    {%- set as_of_date = var('as_of_date', none) -%}
    {%- if as_of_date -%}
        cast('{{ as_of_date }}' as date)
    {%- else -%}
        cast({{ utc_now() }} as date)
    {%- endif -%}
{%- endmacro %}

{#-
    The run's as-of date (the spine's latest date) as a one-row select with the column
    `as_of_date`: the body of a `run_date` import CTE, or, in parentheses, a scalar subquery.
-#}
{% macro run_as_of_date() -%}
    select spine.as_of_date
    from {{ ref('int_as_of_dates') }} as spine
    where spine.is_latest
{%- endmacro %}
