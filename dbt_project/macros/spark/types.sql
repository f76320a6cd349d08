{#-
    Type names on Spark. The project writes its types once, in the spelling DuckDB and
    PostgreSQL share (contracts, sources YAML: `varchar`, `double precision`); Spark has neither
    a bare `varchar` nor `double precision`, so every cast through dbt's `cast` macro reads
    them as Spark's `string` and `double`. A contract on Spark compares the model's columns
    with these casts, so it still checks every column's type.
-#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ ciw_spark_type_name(type) }})
{%- endmacro %}

{% macro ciw_spark_type_name(type) -%}
    {%- set spelled = type | trim | lower -%}
    {%- set spark_names = {
        'varchar': 'string',
        'text': 'string',
        'double precision': 'double',
        'float8': 'double',
    } -%}
    {{- spark_names.get(spelled, type) -}}
{%- endmacro %}

{#- Scores, ratios and amounts in 8 bytes, as on DuckDB and PostgreSQL (Spark's `float` has 4). -#}
{% macro spark__type_float() -%}
    {{ return('double') }}
{%- endmacro %}

{#-
    The whole numbers `start` to `stop` as a relation with one column: Spark has no
    `generate_series`; `sequence` gives the array and `explode` its rows.
-#}
{% macro spark__integer_series(start, stop, column_name) -%}
    (select explode(sequence({{ start }}, {{ stop }})) as {{ column_name }}) as series
{%- endmacro %}


{% macro spark__text_literal(value) -%}
    '{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
