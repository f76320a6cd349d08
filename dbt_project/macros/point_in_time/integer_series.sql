{#-
    The whole numbers `start` to `stop` (both included) as a relation with one column,
    `column_name`, for a from clause. PostgreSQL and DuckDB share `generate_series`; another
    warehouse adds its own `<adapter>__integer_series`.
-#}
{% macro integer_series(start, stop, column_name) -%}
    {{ return(adapter.dispatch('integer_series', 'customer_intelligence')(start, stop, column_name)) }}
{%- endmacro %}

{% macro default__integer_series(start, stop, column_name) -%}
    generate_series({{ start }}, {{ stop }}) as series ({{ column_name }})
{%- endmacro %}
