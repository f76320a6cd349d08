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
