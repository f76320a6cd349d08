{#-
    Custom schemas are used as named (`staging`, `marts`, ...), not prefixed with the target
    schema: BI tools query the plain `marts` schema on every warehouse.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
