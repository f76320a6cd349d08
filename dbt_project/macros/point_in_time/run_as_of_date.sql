{#-
    The run's as-of date: what "today" is for every point-in-time model. Only events strictly
    before it count. It is the `as_of_date` var (the run as it would have been on that date),
    else the environment variable `CIW_AS_OF_DATE`, else the current date in UTC; the spine
    (int_as_of_dates) is built back from it.

    The pipeline passes its date in the environment, not in `--vars`: dbt re-parses the whole
    project whenever the vars change, which every new day's run would do, while an environment
    variable read only at execution (`execute`) leaves the saved partial parse valid.
    A `YYYY-MM-DD` string, or none.
-#}
{% macro as_of_date_value() -%}
    {%- set from_vars = var('as_of_date', none) -%}
    {%- if from_vars -%}
        {{- return(from_vars) -}}
    {%- elif execute -%}
        {{- return(env_var('CIW_AS_OF_DATE', '') or none) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}

{#- The run's as-of date as a date expression: the root of the spine. -#}
{% macro as_of_date_from_vars() -%}
    {%- set as_of_date = as_of_date_value() -%}
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
