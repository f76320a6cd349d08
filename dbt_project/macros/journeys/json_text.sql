{#-
    JSON as plain text, portable to every warehouse (no JSON type or function): a string value
    quoted and escaped (backslash, double quote, newline, carriage return and tab), a number as
    is, null as null; an object from (key, expression, kind) triples; an array from rows with
    dbt.listagg. Readers parse the text (json.loads, ::json, json_extract). Give numbers a fixed
    type (integer or numeric(p, s)): a float's text differs between warehouses.
-#}
{% macro json_text_string(expression) -%}
    coalesce(
        '"' || replace(replace(replace(replace(replace(
            cast({{ expression }} as {{ dbt.type_string() }}),
            {{ text_literal('\\') }}, {{ text_literal('\\\\') }}),
            '"', {{ text_literal('\\"') }}),
            chr(10), {{ text_literal('\\n') }}),
            chr(13), {{ text_literal('\\r') }}),
            chr(9), {{ text_literal('\\t') }})
        || '"',
        'null'
    )
{%- endmacro %}

{% macro json_text_number(expression) -%}
    coalesce(cast({{ expression }} as {{ dbt.type_string() }}), 'null')
{%- endmacro %}

{#- fields: a list of [key, sql expression, 'string' or 'number']. -#}
{% macro json_text_object(fields) -%}
    '{'
    {%- for key, expression, kind in fields %}
    || '{{ "," if not loop.first }}"{{ key }}":'
    || {{ json_text_number(expression) if kind == 'number' else json_text_string(expression) }}
    {%- endfor %}
    || '}'
{%- endmacro %}

{#- An array of the object texts in `object_column`, ordered; '[]' for a group without rows. -#}
{% macro json_text_array(object_column, order_by_clause) -%}
    '[' || coalesce({{ dbt.listagg(object_column, "','", order_by_clause) }}, '') || ']'
{%- endmacro %}


{#- The same array from objects already ranked 1..max_rank (1 the last in the array), without an
    ordered aggregate: DuckDB cannot spill `string_agg(... order by ...)`, and the journey's
    touchpoints (20 per customer) ran out of its memory at a million customers. -#}
{% macro json_text_array_by_rank(object_column, rank_column, max_rank) -%}
    '[' || concat_ws(','
    {%- for rank in range(max_rank, 0, -1) %},
        max(case when {{ rank_column }} = {{ rank }} then {{ object_column }} end)
    {%- endfor %}
    ) || ']'
{%- endmacro %}
