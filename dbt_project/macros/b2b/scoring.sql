{#- Small, portable expressions shared by the B2B feature and mart models. -#}

{#- The expression limited to [0, 1]; null stays null (greatest/least would skip it). -#}
{% macro b2b_clamp_unit(expression) -%}
    case when ({{ expression }}) is not null then greatest(least({{ expression }}, 1.0), 0.0) end
{%- endmacro %}

{#- Whole days (or another datepart) from `start` to `end`, dates or timestamps. -#}
{% macro b2b_days_between(start, end, datepart='day') -%}
    {{ dbt.datediff(start, end, datepart) | trim }}
{%- endmacro %}

{#- `as_of_date` minus `days` days, as a date, for window bounds. -#}
{% macro b2b_days_before(as_of_column, days) -%}
    cast({{ dbt.dateadd('day', -1 * days, as_of_column) | trim }} as date)
{%- endmacro %}

{#- `date_column` plus `days` days, as a date. -#}
{% macro b2b_days_after(date_column, days) -%}
    cast({{ dbt.dateadd('day', days, date_column) | trim }} as date)
{%- endmacro %}

{#-
    The spine dates an incremental feature model still has to build: all on a full build,
    otherwise those not in the table yet (new dates, and back-filled ones after a backtest),
    without recomputing the rest. A select statement for an import CTE.
-#}
{% macro b2b_as_of_dates_to_build() -%}
    select as_of_date
    from {{ ref('int_as_of_dates') }}
    {%- if is_incremental() %}
        where as_of_date not in (select existing.as_of_date from {{ this }} as existing)
    {%- endif %}
{%- endmacro %}

{#- The run's as-of date (the latest spine date), as a scalar subquery. -#}
{% macro b2b_run_as_of_date() -%}
    (select max(spine.as_of_date) from {{ ref('int_as_of_dates') }} as spine)
{%- endmacro %}

{#-
    The (account, as-of date) grain every account feature model shares: each account from the
    first as-of date after its creation. `accounts` and `as_of_dates` are CTE names.
-#}
{% macro b2b_account_spine(accounts, as_of_dates) -%}
    select
        {{ accounts }}.account_id,
        {{ as_of_dates }}.as_of_date
    from {{ accounts }}
    inner join {{ as_of_dates }}
        on cast({{ accounts }}.created_at as date) < {{ as_of_dates }}.as_of_date
    where
        not {{ accounts }}.is_future_dated
{%- endmacro %}
