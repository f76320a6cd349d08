{#-
    Spark's Parquet tables have no DELETE, UPDATE or MERGE (those need Delta Lake or Iceberg,
    whose jars the project does not fetch at run time). Where DuckDB and PostgreSQL delete or
    merge rows, Spark rewrites the table: the rows it keeps go to a staging table first (Spark
    refuses to overwrite a table in the statement that reads it), then replace the table's
    contents. The point-in-time tables are partitioned by as-of date on Spark and replace only
    the partitions a run writes (incremental.sql); the daily pre-aggregates and snapshot
    histories are rewritten whole.
-#}

{#-
    Replace the rows of `target` with those `select_sql` returns (the target's columns, in
    order). On a table whose overwrite is dynamic (ciw_spark_partitioning) only the partitions
    the rows fall in are replaced.
-#}
{% macro ciw_spark_rewrite_table(target, select_sql) -%}
    {%- set staging = target.incorporate(path={'identifier': target.identifier ~ '__ciw_rewrite'}) -%}
    {%- do run_query('drop table if exists ' ~ staging) -%}
    {%- do run_query('create table ' ~ staging ~ ' using parquet as ' ~ select_sql) -%}
    {%- do run_query('insert overwrite table ' ~ target ~ ' select * from ' ~ staging) -%}
    {%- do run_query('drop table if exists ' ~ staging) -%}
{%- endmacro %}

{#- The target's columns, quoted, in table order: a select list for ciw_spark_rewrite_table. -#}
{% macro ciw_spark_column_list(relation, prefix='') -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(prefix ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{- names | join(', ') -}}
{%- endmacro %}

{#-
    How a table is partitioned, from one `describe table extended`: its partition columns,
    lower-case, in order (`columns`, [] when it is not partitioned), and whether an
    `insert overwrite` replaces only the partitions it writes (`dynamic`: the table's own
    `partitionOverwriteMode` option, which the point-in-time tables get in dbt_project.yml).
-#}
{% macro ciw_spark_partitioning(relation) -%}
    {%- set state = namespace(section='columns', columns=[], dynamic=false) -%}
    {%- for row in run_query('describe table extended ' ~ relation) -%}
        {%- set name = (row[0] or '') | trim -%}
        {%- if name == '# Partition Information' -%}
            {%- set state.section = 'partitions' -%}
        {%- elif name.startswith('# Detailed') -%}
            {%- set state.section = 'details' -%}
        {%- elif state.section == 'partitions' and name and not name.startswith('#') -%}
            {%- do state.columns.append(name | lower) -%}
        {%- elif state.section == 'details' and name == 'Storage Properties' -%}
            {%- set state.dynamic = 'partitionoverwritemode=dynamic' in (row[1] or '') | lower | replace(' ', '') -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return({'columns': state.columns, 'dynamic': state.dynamic}) -}}
{%- endmacro %}

{#- The relation's partition columns, lower-case, in order ([] when it is not partitioned). -#}
{% macro ciw_spark_partition_columns(relation) -%}
    {{- return(ciw_spark_partitioning(relation).columns) -}}
{%- endmacro %}

{#-
    The partition columns an `insert overwrite` of the relation replaces partition by partition
    ([] when it replaces the whole table: not partitioned, or the overwrite mode is static).
-#}
{% macro ciw_spark_overwritten_partitions(relation) -%}
    {%- set partitioning = ciw_spark_partitioning(relation) -%}
    {{- return(partitioning.columns if partitioning.dynamic else []) -}}
{%- endmacro %}
