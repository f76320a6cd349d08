{#-
    dbt's type macros, where the adapter's default is not what the project needs. Found first
    through the `dispatch` search order in dbt_project.yml.
-#}

{#-
    `dbt.type_float()` is `float`, which DuckDB reads as a 4-byte REAL (PostgreSQL as double
    precision): scores, ratios and amounts keep double precision on both.
-#}
{% macro duckdb__type_float() -%}
    {{ return('double') }}
{%- endmacro %}
