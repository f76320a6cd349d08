{#-
    Trailing windows before each as-of date: a model pairs its daily rows with the as-of
    dates whose window holds them (`recent_days_before_as_of` in spine_rollups), which gives
    `days_before_as_of` once per pair, then sums per window of var
    `customer_feature_windows_days` (or any list) with `window_sum` / `window_count`.
-#}

{#- Sum of `expression` over the last `days` days before the as-of date (0 when none). -#}
{% macro window_sum(expression, days, days_before_column='days_before_as_of') -%}
    coalesce(sum(case when {{ days_before_column }} <= {{ days }} then {{ expression }} end), 0)
{%- endmacro %}

{#- Number of rows (event days) in the last `days` days before the as-of date. -#}
{% macro window_count(days, days_before_column='days_before_as_of') -%}
    sum(case when {{ days_before_column }} <= {{ days }} then 1 else 0 end)
{%- endmacro %}

{#-
    The from clause pairing each row of `daily_relation` with the as-of dates of the model's
    `as_of_dates` CTE whose trailing `days`-day window holds its `date_column` (strictly before
    the as-of date). Rows older than the first as-of date's window are cut first (the model's
    `first_as_of_date` CTE: the date table is joined first, so the range join stays cheap).
    `condition`: a further filter on the daily rows.
-#}
{% macro from_days_before_as_of(daily_relation, date_column, days, condition=none) -%}
    {%- set event_date = daily_relation ~ '.' ~ date_column -%}
    from {{ daily_relation }}
    cross join first_as_of_date
    inner join as_of_dates
        on
            {{ event_date }} < as_of_dates.as_of_date
            and {{ days_after(event_date, days) }} >= as_of_dates.as_of_date
    where
        {{ event_date }} >= {{ days_before('first_as_of_date.as_of_date', days) }}
        {%- if condition %}
        and {{ condition }}
        {%- endif %}
{%- endmacro %}
