{#-
    The one rule for which as-of dates a point-in-time model (features, labels, per-date marts)
    builds: every spine date on a full build; on an incremental run

    - the spine dates the model does not hold yet: the run's new date, a grid date that entered
      the spine, and those of an earlier `--as-of` run (a backfill);
    - the spine dates within `lookback_days` before the run's as-of date, whose rows
      late-arriving events may change (an event loaded after its date was built). Features use
      var `late_arriving_lookback_days`; a label model passes its horizon plus that, since a
      label changes until its horizon (and the late rows in it) are complete.

    The spine's grid does not move with the run date (int_as_of_dates), so a daily run builds
    the new date and the few dates of the lookback. Dates outside the spine (yesterday's run
    date, a grid date that left it) are deleted after the run (`prune_dates_outside_spine`),
    so an incremental table holds the same rows as a full rebuild on the same data.
    A select statement with the column `as_of_date`, for an import CTE.

    The first date built is logged for the run's data tests (dates_built.sql).

    "Not held yet" is a left join on the model's distinct dates, not `not in (subquery)`: a
    `not in` inside an `or` is a nested-loop existence join on Spark (every spine date against
    every row of the model, in each of the model's references to this CTE), which ran for
    over 25 minutes on one model's daily run at 100,000 customers.
-#}
{% macro as_of_dates_to_build(lookback_days=none) -%}
    {%- set lookback = var('late_arriving_lookback_days', 7) if lookback_days is none else lookback_days -%}
    {%- set dates_sql = as_of_dates_to_build_sql(lookback) -%}
    {%- do record_first_date_built(dates_sql) -%}
    {{ dates_sql }}
{%- endmacro %}

{% macro as_of_dates_to_build_sql(lookback) -%}
    select spine.as_of_date
    from {{ ref('int_as_of_dates') }} as spine
    {%- if is_incremental() %}
    left join (
        select distinct existing.as_of_date
        from {{ this }} as existing
    ) as built
        on spine.as_of_date = built.as_of_date
    where
        built.as_of_date is null
        or spine.as_of_date >= (
            select {{ days_before('latest.as_of_date', lookback) }}
            from {{ ref('int_as_of_dates') }} as latest
            where latest.is_latest
        )
    {%- endif %}
{%- endmacro %}

{#-
    Post-hook of an incremental point-in-time model (delete+insert on `as_of_date`): delete the
    rows of as-of dates the spine no longer holds. Use as
    `post_hook="{{ prune_dates_outside_spine() }}"` so it renders at run time.
-#}
{% macro prune_dates_outside_spine() -%}
    {{ return(adapter.dispatch('prune_dates_outside_spine', 'customer_intelligence')()) }}
{%- endmacro %}

{% macro default__prune_dates_outside_spine() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where as_of_date not in (select spine.as_of_date from {{ ref('int_as_of_dates') }} as spine)
    {%- endif -%}
{%- endmacro %}

{#-
    The first event date an incremental daily pre-aggregate (one row per key per day) must
    re-aggregate: `reprocess_days` before its latest day, and no later than the lookback of
    the point-in-time models (`late_arriving_lookback_days` before the run's as-of date), so a
    late row the features rebuild for is in the daily rows too - even when dirty rows dated
    after the run's as-of date pushed the latest day ahead. A scalar subquery.
-#}
{% macro reprocess_from_date(latest_day_expression, reprocess_days) -%}
    (
        select
            least(
                {{ days_before(latest_day_expression, reprocess_days) }},
                {{ days_before(as_of_date_from_vars(), var('late_arriving_lookback_days', 7)) }}
            )
        from {{ this }} as existing
    )
{%- endmacro %}
