{#-
    The current time as a timestamp without time zone in UTC, comparable with the raw
    timestamps (which are naive UTC).
-#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'customer_intelligence')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro postgres__utc_now() -%}
    (now() at time zone 'utc')
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    cast(timezone('UTC', now()) as timestamp)
{%- endmacro %}

{#-
    "Now" for data checks: the `as_of_date` var (end of that day) when set, so a replayed or
    back-dated run judges rows against its own date; otherwise the current UTC time.
-#}
{% macro reference_timestamp() -%}
    {%- set as_of_date = as_of_date_value() -%}
    {%- if as_of_date -%}
        {{ dbt.dateadd('day', 1, "cast('" ~ as_of_date ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
    {%- else -%}
        {{ utc_now() }}
    {%- endif -%}
{%- endmacro %}

{#-
    True when the timestamp lies ahead of the reference time by more than the clock-skew grace
    (var `future_timestamp_grace_hours`); false otherwise, including when null.
-#}
{% macro is_future(column) -%}
    coalesce(
        {{ column }} > {{ dbt.dateadd('hour', var('future_timestamp_grace_hours', 24), reference_timestamp()) }},
        false
    )
{%- endmacro %}
