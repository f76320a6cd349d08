{#-
    Snapshots on Spark's Parquet tables. dbt-spark's snapshot requires Delta Lake, Iceberg or
    Hudi for its MERGE; this one keeps dbt's snapshot logic (strategies, the staging query of
    inserts, updates and hard deletes) and replaces the MERGE with a rewrite of the history:
    the current versions an update or delete closes get its `dbt_valid_to`, and the new
    versions are appended. The first run creates the table as dbt does everywhere.
-#}
{% materialization snapshot, adapter='spark' %}
    {%- set grant_config = config.get('grants') -%}
    {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
    {%- set target_exists, target_relation = get_or_create_relation(
        database=none,
        schema=model.schema,
        identifier=model.get('alias', model.get('name')),
        type='table',
    ) -%}
    {%- if not adapter.check_schema_exists(model.database, model.schema) -%}
        {%- do create_schema(model.schema) -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks) }}

    {%- set strategy = strategy_dispatch(config.get('strategy'))(
        model, 'snapshotted_data', 'source_data', model['config'], target_exists
    ) -%}

    {%- if not target_exists -%}
        {%- set final_sql = create_table_as(False, target_relation, build_snapshot_table(strategy, model['compiled_code'])) -%}
    {%- else -%}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}
        {%- set changes = api.Relation.create(
            schema=target_relation.schema,
            identifier=target_relation.identifier ~ '__dbt_tmp',
            type='view',
        ) -%}
        {%- call statement('build_snapshot_staging_relation') -%}
            {{ create_view_as(changes, snapshot_staging_table(strategy, model['compiled_code'], target_relation)) }}
        {%- endcall -%}
        {#- Columns the source gained become history columns; the staging query's own are not. -#}
        {%- set missing = [] -%}
        {%- for column in adapter.get_missing_columns(changes, target_relation) -%}
            {%- set name = column.name | lower -%}
            {%- if name != 'dbt_change_type' and not name.startswith('dbt_unique_key') -%}
                {%- do missing.append(column) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do create_columns(target_relation, missing) -%}
        {%- set valid_to = adapter.quote(columns.dbt_valid_to) -%}
        {%- set scd_id = adapter.quote(columns.dbt_scd_id) -%}
        {%- set history_columns = adapter.get_columns_in_relation(target_relation) -%}
        {%- set history -%}
            select
            {%- for column in history_columns %}
                {%- set name = adapter.quote(column.name) %}
                {%- if column.name | lower == columns.dbt_valid_to | lower %}
                coalesce(closing.{{ valid_to }}, snapshotted.{{ valid_to }}) as {{ valid_to }}
                {%- else %}
                snapshotted.{{ name }}
                {%- endif %}{{ ',' if not loop.last }}
            {%- endfor %}
            from {{ target_relation }} as snapshotted
            left join (
                select {{ scd_id }}, {{ valid_to }}
                from {{ changes }}
                where dbt_change_type in ('update', 'delete')
            ) as closing
                on
                    closing.{{ scd_id }} = snapshotted.{{ scd_id }}
                    and {{ ciw_spark_is_current_version('snapshotted.' ~ valid_to) }}
            union all
            select {{ ciw_spark_column_list(target_relation) }}
            from {{ changes }}
            where dbt_change_type = 'insert'
        {%- endset -%}
        {%- do ciw_spark_rewrite_table(target_relation, history) -%}
        {%- set final_sql = 'drop view if exists ' ~ changes -%}
    {%- endif -%}

    {%- call statement('main') -%}
        {{ final_sql }}
    {%- endcall -%}

    {%- do apply_grants(target_relation, grant_config, should_revoke(target_exists, full_refresh_mode)) -%}
    {%- do persist_docs(target_relation, model) -%}

    {{ run_hooks(post_hooks) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- A version is current while its dbt_valid_to is null (or the configured current value). -#}
{% macro ciw_spark_is_current_version(valid_to) -%}
    {%- if config.get('dbt_valid_to_current') -%}
        ({{ valid_to }} is null or {{ valid_to }} = {{ config.get('dbt_valid_to_current') }})
    {%- else -%}
        {{ valid_to }} is null
    {%- endif -%}
{%- endmacro %}
