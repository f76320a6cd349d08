{#-
    Building blocks of the point-in-time feature models. A feature model joins its daily
    pre-aggregates to the as-of spine with `pit_join_condition` (only days strictly before the
    as-of date, optionally only the last `max_days` of them), computes `days_before_as_of`
    once per pair, and aggregates with `window_sum` / `window_count` per window of
    var `customer_feature_windows_days` (or any list).
-#}

{#-
    The spine rows a feature model computes: all of them on a full build; on an incremental
    run only as-of dates later than the latest already in the table (earlier dates never change
    because only events before each date count).
-#}
{% macro as_of_dates_to_build(spine_relation) -%}
    select as_of_date
    from {{ spine_relation }}
    {%- if is_incremental() %}
    where as_of_date > (select coalesce(max(as_of_date), cast('1900-01-01' as date)) from {{ this }})
    {%- endif %}
{%- endmacro %}

{#- Days from `start_date` to `end_date` (both dates) as an integer, on every warehouse. -#}
{% macro days_between(start_date, end_date) -%}
    cast({{ dbt.datediff(start_date, end_date, 'day') }} as {{ dbt.type_int() }})
{%- endmacro %}

{#- Join condition: the event day lies strictly before the as-of date (and within max_days). -#}
{% macro pit_join_condition(event_date, as_of_date, max_days=none) -%}
    {{ event_date }} < {{ as_of_date }}
    {%- if max_days is not none %}
        and {{ event_date }} >= {{ dbt.dateadd('day', -1 * max_days, as_of_date) }}
    {%- endif %}
{%- endmacro %}

{#- Sum of `expression` over the last `days` days before the as-of date (0 when none). -#}
{% macro window_sum(expression, days, days_before_column='days_before_as_of') -%}
    coalesce(sum(case when {{ days_before_column }} <= {{ days }} then {{ expression }} end), 0)
{%- endmacro %}

{#- Number of rows (event days) in the last `days` days before the as-of date. -#}
{% macro window_count(days, days_before_column='days_before_as_of') -%}
    sum(case when {{ days_before_column }} <= {{ days }} then 1 else 0 end)
{%- endmacro %}

{#- numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0)
{%- endmacro %}

{#-
    Pairs of (daily pre-aggregate row, as-of date) with the row strictly before the as-of date:
    the input of a point-in-time aggregation. Rows older than the longest window before the
    earliest as-of date can only count towards lifetime totals, so they are first collapsed to
    one row per key (sums added, dates kept as their min or max), which keeps the join small
    however long the history. Columns: the keys, `as_of_date`, `event_date` (for collapsed rows
    the latest date), `days_before_as_of`, `event_day_count` and the listed columns.
    `min_columns` / `max_columns` must be safe to combine by min / max (dates, flags).
-#}
{% macro point_in_time_pairs(
    daily_relation, as_of_relation, key_columns, date_column,
    sum_columns=[], min_columns=[], max_columns=[], longest_window_days=none
) -%}
    {%- set longest = longest_window_days or (var('customer_feature_windows_days') | max) -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- set cutoff = dbt.dateadd('day', -1 * longest, '(select min(as_of_date) from ' ~ as_of_relation ~ ')') -%}
    select
        {%- for key in key_columns %}
        collapsed.{{ key }},
        {%- endfor %}
        as_of_list.as_of_date,
        collapsed.event_date,
        {{ days_between('collapsed.event_date', 'as_of_list.as_of_date') }} as days_before_as_of,
        collapsed.event_day_count
        {%- for column in sum_columns + min_columns + max_columns %},
        collapsed.{{ column }}
        {%- endfor %}
    from (
        select
            {{ keys }},
            max({{ date_column }}) as event_date,
            count(*) as event_day_count
            {%- for column in sum_columns %},
            sum({{ column }}) as {{ column }}
            {%- endfor %}
            {%- for column in min_columns %},
            min({{ column }}) as {{ column }}
            {%- endfor %}
            {%- for column in max_columns %},
            max({{ column }}) as {{ column }}
            {%- endfor %}
        from {{ daily_relation }}
        where {{ date_column }} < {{ cutoff }}
        group by {{ keys }}
    ) as collapsed
    cross join {{ as_of_relation }} as as_of_list

    union all

    select
        {%- for key in key_columns %}
        recent.{{ key }},
        {%- endfor %}
        as_of_list.as_of_date,
        recent.{{ date_column }} as event_date,
        {{ days_between('recent.' ~ date_column, 'as_of_list.as_of_date') }} as days_before_as_of,
        1 as event_day_count
        {%- for column in sum_columns + min_columns + max_columns %},
        recent.{{ column }}
        {%- endfor %}
    from {{ daily_relation }} as recent
    inner join {{ as_of_relation }} as as_of_list
        on
            recent.{{ date_column }} >= {{ cutoff }}
            and {{ pit_join_condition('recent.' ~ date_column, 'as_of_list.as_of_date') }}
{%- endmacro %}
