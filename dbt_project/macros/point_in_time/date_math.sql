{#- Date arithmetic of the point-in-time models, the same on every warehouse. -#}

{#-
    Whole days from `start` to `end` (dates, or timestamps counted by calendar day) as an
    integer; negative when `end` is earlier.
-#}
{% macro days_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'day') | trim }} as {{ dbt.type_int() }})
{%- endmacro %}

{#- `date_expression` minus `days` days, as a date (window bounds before an as-of date). -#}
{% macro days_before(date_expression, days) -%}
    cast({{ dbt.dateadd('day', -1 * days, date_expression) | trim }} as date)
{%- endmacro %}

{#- `date_expression` plus `days` days, as a date (horizon ends after an as-of date). -#}
{% macro days_after(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) | trim }} as date)
{%- endmacro %}
