{#-
    Post-hooks for the customer intermediate tables: on PostgreSQL, ANALYZE the new table so
    the planner sees its real size (without statistics it guesses a few rows and picks nested
    loops that take minutes). Other warehouses keep statistics themselves.
-#}
{% macro refresh_table_statistics() -%}
    {%- if target.type == 'postgres' -%}
        {{ return(['analyze {{ this }}']) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}
