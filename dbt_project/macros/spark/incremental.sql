{#-
    The incremental strategy `delete+insert` on Spark (the point-in-time models and the daily
    pre-aggregates use it on every target). dbt-spark accepts only append, insert_overwrite
    and (on Delta, Iceberg, Hudi) merge. On Parquet this strategy writes the run's rows to a
    table first (a model may read its own earlier rows: the view of the run's rows reads the
    files an overwrite replaces), then

    - on a table partitioned by columns its key includes, with the table's own
      `partitionOverwriteMode` dynamic (the point-in-time tables, dbt_project.yml): replaces
      the partitions the run wrote - with the run's rows when the key is the partition columns
      (the as-of date), else with the run's rows and the partition's rows whose key the run
      did not write - and leaves every other partition's files alone;
    - otherwise: rewrites the table as the existing rows whose key the run did not build,
      followed by the run's rows.

    Either leaves what deleting the run's keys and inserting its rows leaves on DuckDB and
    PostgreSQL.
-#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'delete+insert' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy != 'delete+insert' -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error("delete+insert on Spark needs a unique_key: " ~ target) }}
    {%- endif -%}
    {%- set keys = ([unique_key] if unique_key is string else unique_key) | map('lower') | list -%}
    {%- set partitions = ciw_spark_overwritten_partitions(target) -%}
    {%- for column in partitions if column not in keys -%}
        {{ exceptions.raise_compiler_error(
            "delete+insert on Spark: " ~ target ~ " overwrites by partition, so its unique_key "
            ~ keys ~ " must include its partition columns " ~ partitions
        ) }}
    {%- endfor -%}
    {%- set columns = ciw_spark_column_list(target) -%}
    {#- The run's rows once, in a table: the rewrite reads them twice, and the overwrite must
        not read the files it replaces. -#}
    {%- set incoming = target.incorporate(path={'identifier': target.identifier ~ '__ciw_incoming'}) -%}
    {%- do run_query('drop table if exists ' ~ incoming) -%}
    {%- do run_query('create table ' ~ incoming ~ ' using parquet as select ' ~ columns ~ ' from ' ~ source) -%}
    {%- if partitions and keys | sort == partitions | sort -%}
        {#- Keyed by its partitions: the run's rows are the whole of each partition it writes. -#}
        {%- do run_query('insert overwrite table ' ~ target ~ ' select ' ~ columns ~ ' from ' ~ incoming) -%}
    {%- else -%}
        {%- set rows -%}
            select {{ ciw_spark_column_list(target, 'existing.') }}
            from {{ target }} as existing
            where
            {%- for column in partitions %}
                existing.{{ column }} in (select distinct incoming.{{ column }} from {{ incoming }} as incoming) and
            {%- endfor %}
                not exists (
                    select 1
                    from {{ incoming }} as incoming
                    where
                    {%- for key in keys %}
                        incoming.{{ key }} = existing.{{ key }}{{ ' and' if not loop.last }}
                    {%- endfor %}
                )
            union all
            select {{ columns }}
            from {{ incoming }}
        {%- endset -%}
        {%- do ciw_spark_rewrite_table(target, rows) -%}
    {%- endif -%}
    {#- The rows are in place; the main statement drops the run's copy of its rows. -#}
    drop table if exists {{ incoming }}
{%- endmacro %}

{#-
    prune_dates_outside_spine on Spark: on a table partitioned by as-of date, drop the
    partitions of the dates the spine no longer holds (one statement, no file rewritten); else
    rewrite the table with the spine's dates only.
-#}
{% macro spark__prune_dates_outside_spine() -%}
    {%- if execute and is_incremental() -%}
        {%- set outside -%}
            select distinct cast(as_of_date as string) from {{ this }}
            where as_of_date not in (select spine.as_of_date from {{ ref('int_as_of_dates') }} as spine)
        {%- endset -%}
        {%- set dates = run_query(outside).columns[0].values() -%}
        {%- if dates | length == 0 -%}
            {{ return('') }}
        {%- endif -%}
        {%- if 'as_of_date' in ciw_spark_partition_columns(this) -%}
            {%- set specs = [] -%}
            {%- for as_of_date in dates -%}
                {%- do specs.append("partition (as_of_date = '" ~ as_of_date ~ "')") -%}
            {%- endfor -%}
            {%- do run_query('alter table ' ~ this ~ ' drop if exists ' ~ specs | join(', ')) -%}
            {{ return('') }}
        {%- endif -%}
        {%- set kept -%}
            select {{ ciw_spark_column_list(this) }}
            from {{ this }}
            where as_of_date in (select spine.as_of_date from {{ ref('int_as_of_dates') }} as spine)
        {%- endset -%}
        {%- do ciw_spark_rewrite_table(this, kept) -%}
    {%- endif -%}
{%- endmacro %}
