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
    {#-
        "Missing" is also what dbt's relation cache answers while another thread is filling
        it (see cache_source_schemas): the table's columns, read from the warehouse itself,
        decide. A missing table has none on every adapter.
    -#}
    {%- if adapter.get_columns_in_relation(source_relation) | length > 0 -%}
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

{#-
    Run at the start of every dbt command (on-run-start): look up each source schema once, in
    the master thread, so dbt's relation cache holds every raw table before the models compile.
    Otherwise the first model to ask about a schema lists it from a worker thread, and dbt adds
    the listed tables to its cache one by one after marking the schema cached: a model
    compiling at that moment in the other thread finds its raw table "missing", and
    `source_or_empty` would read an existing table as empty (seen as a silently empty
    stg_crm__contacts on DuckDB and a different one on Spark, under load).
-#}
{% macro cache_source_schemas() -%}
    {%- if execute -%}
        {%- set looked_up = [] -%}
        {%- for source_node in graph.sources.values() -%}
            {%- set schema_key = (source_node.database ~ '.' ~ source_node.schema) | lower -%}
            {%- if schema_key not in looked_up -%}
                {%- do looked_up.append(schema_key) -%}
                {%- do adapter.get_relation(
                    database=source_node.database,
                    schema=source_node.schema,
                    identifier=source_node.identifier,
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
