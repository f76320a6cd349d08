{#-
    A string literal holding `value` exactly. Standard SQL (DuckDB, PostgreSQL) doubles a quote
    and takes a backslash as itself; Spark reads a backslash as an escape, so its own version
    escapes both.
-#}
{% macro text_literal(value) -%}
    {{ return(adapter.dispatch('text_literal', 'customer_intelligence')(value)) }}
{%- endmacro %}

{% macro default__text_literal(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
