{#-
    Spark's Parquet tables have no DELETE, UPDATE or MERGE (those need Delta Lake or Iceberg,
    whose jars the project does not fetch at run time). Where DuckDB and PostgreSQL delete or
    merge rows, Spark rewrites the table: the rows it keeps go to a staging table first (Spark
    refuses to overwrite a table in the statement that reads it), then replace the table's
    contents. The tables concerned are small (point-in-time rows, daily pre-aggregates,
    snapshot histories); on a cluster they would move to `insert_overwrite` by partition.
-#}

{#- Replace the rows of `target` with those `select_sql` returns (the target's columns, in order). -#}
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
