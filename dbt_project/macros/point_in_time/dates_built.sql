{#-
    Data tests of a daily run read the as-of dates the run built, not the whole history.

    An incremental point-in-time model rewrites only the dates `as_of_dates_to_build` returns
    (the new date and the lookback); its other rows are those an earlier run tested. So when a
    model builds, `as_of_dates_to_build` writes the first date it builds to a log keyed by the
    dbt invocation (`record_first_date_built`), and each data test on that model, compiled
    after it in the same invocation, reads the model from that date on (`get_where_subquery`,
    dbt's hook for a test's `where`). A full build, a `--full-refresh`, a model built for the
    first time and a `dbt test` of its own (no log row for that invocation) test every row.
    At 1M customers a feature table holds 40M rows; the daily run's tests then read about 2M.

    Not on Spark (its tests read every row: one more statement per model costs a second there).
-#}

{%- macro dates_built_log() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='intermediate', identifier='dbt_as_of_dates_built',
        type='table',
    )) }}
{%- endmacro %}

{#- Whether the log exists (dbt's relation cache: the on-run-start hook adds it there). -#}
{% macro dates_built_log_exists() -%}
    {%- set log_relation = dates_built_log() -%}
    {{ return(adapter.get_relation(
        database=log_relation.database, schema=log_relation.schema,
        identifier=log_relation.identifier,
    ) is not none) }}
{%- endmacro %}

{#- on-run-start: the log exists, holding only this invocation's rows. -#}
{% macro prepare_dates_built_log() -%}
    {{ return(adapter.dispatch('prepare_dates_built_log', 'customer_intelligence')()) }}
{%- endmacro %}

{% macro default__prepare_dates_built_log() -%}
    {#-
        Run here and committed, not returned as the hook's SQL: dbt runs on-run-start SQL in
        the transaction its schema listing opened and rolls it back when the hooks are done.
    -#}
    {%- if execute -%}
        {%- set log_relation = dates_built_log() -%}
        {%- do run_query('create schema if not exists ' ~ log_relation.schema) -%}
        {%- do run_query(
            'create table if not exists ' ~ log_relation
            ~ ' (invocation_id varchar(64), model_name varchar(256), first_as_of_date date)'
        ) -%}
        {%- do run_query(
            'delete from ' ~ log_relation ~ " where invocation_id <> '" ~ invocation_id ~ "'"
        ) -%}
        {%- do adapter.commit() -%}
        {#- dbt listed the schema before this hook: tell its relation cache the log exists. -#}
        {%- do adapter.cache_added(log_relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro spark__prepare_dates_built_log() -%}{%- endmacro %}

{#-
    Called by `as_of_dates_to_build` while a model compiles for execution: log the first date
    of `dates_sql` (its select) for this model and invocation. Nothing at parse time, for other
    node types (compiled SQL, `dbt show`), on Spark, or when the log does not exist yet.
-#}
{% macro record_first_date_built(dates_sql) -%}
    {{ return(adapter.dispatch('record_first_date_built', 'customer_intelligence')(dates_sql)) }}
{%- endmacro %}

{% macro default__record_first_date_built(dates_sql) -%}
    {%- if not execute or model.resource_type != 'model' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set log_relation = dates_built_log() -%}
    {%- if not dates_built_log_exists() -%}
        {{ return('') }}
    {%- endif -%}
    {%- call statement('record_first_date_built') -%}
        insert into {{ log_relation }} (invocation_id, model_name, first_as_of_date)
        select '{{ invocation_id }}', '{{ this.identifier }}', min(dates.as_of_date)
        from ({{ dates_sql }}) as dates
    {%- endcall -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__record_first_date_built(dates_sql) -%}
    {{ return('') }}
{%- endmacro %}

{#-
    dbt's `get_where_subquery` (the relation a data test reads, with the test's `where`), plus
    `as_of_date >= <first date built>` when the tested model logged one in this invocation.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set first_date = first_date_built(relation) -%}
    {%- if first_date -%}
        {%- do conditions.append("as_of_date >= cast('" ~ first_date ~ "' as date)") -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#- The first as-of date `relation` was built from in this invocation, or none. -#}
{% macro first_date_built(relation) -%}
    {%- if not execute or target.type == 'spark' or model.resource_type != 'test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set attached = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if attached is none or attached.resource_type != 'model'
        or attached.config.materialized != 'incremental'
        or (attached.alias or attached.name) != relation.identifier -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set log_relation = dates_built_log() -%}
    {%- if not dates_built_log_exists() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select min(first_as_of_date) from " ~ log_relation
        ~ " where invocation_id = '" ~ invocation_id ~ "'"
        ~ " and model_name = '" ~ relation.identifier ~ "'"
    ) -%}
    {%- set value = found.columns[0].values()[0] if found and found.rows | length > 0 else none -%}
    {{ return(value) }}
{%- endmacro %}
