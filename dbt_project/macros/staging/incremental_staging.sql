{#-
    Staging of an event table that only grows, built incrementally: a daily run deduplicates
    the keys that changed, not the whole history.

    `incremental_staging(unique_key)` configures the model: incremental with delete+insert on
    its staged key on DuckDB and PostgreSQL, a table on Spark (plain Parquet tables have no
    delete). `changed_rows(relation, key, staged_key, event_timestamp)` is what the model's
    `deduplicate` reads: on a full build the raw relation itself; on an incremental run every
    raw row of the keys to stage again, so that their deduplication gives what a full build
    gives:

    * keys with a row loaded after the latest load this table holds, less the var
      `staging_reload_hours` (24), whose load (`_batch_id`, `_loaded_at`) this table does not
      hold yet: a load or an event whose transaction committed after a build had read the
      table, with an earlier load time, is staged by the next build, and a file loaded again
      (same batch, new load time) too; the loads already staged in the window are not staged
      again (the day after a first load of the whole history, that is the history);
    * keys with a row that is future-dated as of this run (a backdated run flags them);
    * keys this table holds as future-dated (as the date advances they may not be).

    Every other key keeps its staged row, which a full build would give again: the loader only
    adds batches or replaces a batch by the same content, and the key's future-dated flag did
    not change. `key` is the raw key expression the model deduplicates on, `staged_key` the
    column that holds it in the model. After the raw layer was cut (`ciw backtest` does so in
    a warehouse of its own), build with `--full-refresh`.
-#}
{% macro incremental_staging(unique_key) -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='table') }}
    {%- else -%}
        {{ config(
            materialized='incremental',
            incremental_strategy='delete+insert',
            unique_key=unique_key,
            on_schema_change='append_new_columns',
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro changed_rows(relation, key, staged_key, event_timestamp=none) -%}
    {#- A missing raw table (`source_or_empty`) stays empty: nothing to stage again. -#}
    {%- if not is_incremental() or relation is string -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set window_start -%}
        (
            select coalesce(
                {{ dbt.dateadd('hour', -var('staging_reload_hours', 24), 'max(_loaded_at)') }},
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            )
            from {{ this }}
        )
    {%- endset %}
    (
        select *
        from {{ relation }} as raw_rows
        where {{ key }} in (
            {#- One set of keys, so the outer filter is one semi-join: PostgreSQL runs an OR of
                two IN subqueries, or a correlated one, once per raw row. Loads in the window
                this table does not hold are an anti-join on the window's few loads. #}
            select {{ key }}
            from {{ relation }} as loaded
            left join (
                select distinct
                    staged._batch_id,
                    staged._loaded_at
                from {{ this }} as staged
                where staged._loaded_at > {{ window_start }}
            ) as staged_loads
                on
                    loaded._batch_id = staged_loads._batch_id
                    and loaded._loaded_at = staged_loads._loaded_at
            where
                (loaded._loaded_at > {{ window_start }} and staged_loads._loaded_at is null)
                {%- if event_timestamp is not none %}
                or {{ is_future(event_timestamp) }}
            union
            select {{ key }}
            from {{ relation }} as flagged
            where {{ key }} in (select {{ staged_key }} from {{ this }} where is_future_dated)
                {%- endif %}
        )
    ) as changed_rows
{%- endmacro %}
