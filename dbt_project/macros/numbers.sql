{#- numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif(cast({{ denominator }} as {{ dbt.type_float() }}), 0)
{%- endmacro %}

{#-
    A float rounded half up to the cent, as numeric(18, 2), to the same value on every engine.
    A cast of a double to numeric rounds by the double's binary value on DuckDB and by its
    shortest decimal form on Spark (73.475, stored as 73.47499..., gave 73.47 on one and 73.48
    on the other); the rounding here is done in double arithmetic, whose steps every engine
    computes alike, so the cast only sees a whole number of cents.
-#}
{% macro round_to_cents(expression) -%}
    cast(floor(cast({{ expression }} as {{ dbt.type_float() }}) * 100 + 0.5) / 100 as numeric(18, 2))
{%- endmacro %}
