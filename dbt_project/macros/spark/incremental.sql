{#-
    The incremental strategy `delete+insert` on Spark (the point-in-time models and the daily
    pre-aggregates use it on every target). dbt-spark accepts only append, insert_overwrite
    and (on Delta, Iceberg, Hudi) merge; on Parquet this strategy rewrites the table as the
    existing rows whose key the run did not build, followed by the run's rows - what deleting
    the run's keys and inserting its rows leaves on DuckDB and PostgreSQL.
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
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = ciw_spark_column_list(target) -%}
    {#- The run's rows once, in a table: the rewrite reads them twice. -#}
    {%- set incoming = target.incorporate(path={'identifier': target.identifier ~ '__ciw_incoming'}) -%}
    {%- do run_query('drop table if exists ' ~ incoming) -%}
    {%- do run_query('create table ' ~ incoming ~ ' using parquet as select ' ~ columns ~ ' from ' ~ source) -%}
    {%- set rows -%}
        select {{ ciw_spark_column_list(target, 'existing.') }}
        from {{ target }} as existing
        where not exists (
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
    {#- The rows are in place; the main statement drops the run's copy of its rows. -#}
    drop table if exists {{ incoming }}
{%- endmacro %}

{#- prune_dates_outside_spine on Spark: rewrite the table with the spine's dates only. -#}
{% macro spark__prune_dates_outside_spine() -%}
    {%- if execute and is_incremental() -%}
        {%- set outside -%}
            select count(*) from {{ this }}
            where as_of_date not in (select spine.as_of_date from {{ ref('int_as_of_dates') }} as spine)
        {%- endset -%}
        {%- if run_query(outside).columns[0].values()[0] == 0 -%}
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
