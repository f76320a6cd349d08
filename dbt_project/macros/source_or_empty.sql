{#-
    `source(source_name, table_name)` when the raw table exists; otherwise an empty relation
    with the contract's columns and types (from the sources YAML) plus the load metadata, so
    that every source stays optional: a warehouse holding only some raw tables still builds.
-#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set source_relation = source(source_name, table_name) -%}
    {#- Parsing, and unit tests (where source() is their fixture), take the source as is. -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(source_relation) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=source_relation.database,
        schema=source_relation.schema,
        identifier=source_relation.identifier,
    ) -%}
    {%- if existing is not none -%}
        {{ return(source_relation) }}
    {%- endif -%}
    {%- set source_node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {%- set typed_columns = [] -%}
    {%- for column in source_node.columns.values() -%}
        {%- do typed_columns.append((column.name, column.data_type)) -%}
    {%- endfor -%}
    {%- do typed_columns.extend([
        ('_batch_id', dbt.type_string()),
        ('_source_file', dbt.type_string()),
        ('_source_row', dbt.type_bigint()),
        ('_loaded_at', dbt.type_timestamp()),
    ]) -%}
    {{ log("raw table " ~ source_relation ~ " is missing; " ~ this ~ " reads it as empty", info=true) }}
    (
        select
        {%- for name, data_type in typed_columns %}
            {{ cast("null", data_type) | trim }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    ) as missing_source
{%- endmacro %}
