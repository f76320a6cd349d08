{#-
    Point-in-time features at the grain (keys, as-of date) without crossing every key's history
    with every as-of date:

    1. `spine_bucket_totals` folds the daily pre-aggregate once into buckets of the as-of
       dates the model builds (`as_of_dates_to_build`): an event day belongs to the first
       as-of date strictly after it (days before the first as-of date all go to it, days on or
       after the last are left out). A full build buckets by every spine date; a daily run by
       the few dates it builds, so the whole history folds into one or two buckets per key
       instead of one per spine date it has activity in, with the same running totals at
       those dates.
    2. The model turns the buckets into running totals per key (`running_total`), one row per
       key per bucket with activity, and `spine_dates_until_next_change` repeats each such
       row for every as-of date until the key's next active bucket.
    3. Trailing windows read only the days within the longest window before each as-of date
       (`recent_days_before_as_of`), so each day meets a handful of as-of dates, not all.
-#}

{#- The spine with the start of each as-of date's bucket (the previous as-of date). -#}
{% macro spine_buckets(spine_relation) -%}
    select
        as_of_date,
        coalesce(
            lag(as_of_date) over (order by as_of_date), cast('1900-01-01' as date)
        ) as bucket_start_date
    from {{ spine_relation }}
{%- endmacro %}

{#-
    Daily rows summed per key and spine bucket: the keys, `as_of_date` (the bucket's as-of
    date), `event_date` (the bucket's latest day), `event_day_count` and the listed columns.
-#}
{% macro spine_bucket_totals(
    daily_relation, spine_relation, key_columns, date_column,
    sum_columns=[], min_columns=[], max_columns=[]
) -%}
    select
        {%- for key in key_columns %}
        daily.{{ key }},
        {%- endfor %}
        buckets.as_of_date,
        max(daily.{{ date_column }}) as event_date,
        count(*) as event_day_count
        {%- for column in sum_columns %},
        sum(daily.{{ column }}) as {{ column }}
        {%- endfor %}
        {%- for column in min_columns %},
        min(daily.{{ column }}) as {{ column }}
        {%- endfor %}
        {%- for column in max_columns %},
        max(daily.{{ column }}) as {{ column }}
        {%- endfor %}
    from {{ daily_relation }} as daily
    inner join ({{ spine_buckets(spine_relation) }}) as buckets
        on
            daily.{{ date_column }} >= buckets.bucket_start_date
            and daily.{{ date_column }} < buckets.as_of_date
    group by
        {%- for key in key_columns %}
        daily.{{ key }},
        {%- endfor %}
        buckets.as_of_date
{%- endmacro %}

{#- `aggregate`(column) over all buckets of the key up to this one. -#}
{% macro running_total(column, key_columns, aggregate='sum') -%}
    {{ aggregate }}({{ column }}) over (
        partition by {{ key_columns | join(', ') }}
        order by as_of_date
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{#- The key's next bucket with activity (null for the last), the end of a running row's validity. -#}
{% macro next_change_as_of_date(key_columns) -%}
    lead(as_of_date) over (partition by {{ key_columns | join(', ') }} order by as_of_date)
{%- endmacro %}

{#-
    Join condition repeating a running row (`as_of_date`, `next_change_as_of_date`) for each
    spine date from its bucket until the key's next change.
-#}
{% macro spine_dates_until_next_change(running_alias, as_of_alias) -%}
    {{ as_of_alias }}.as_of_date >= {{ running_alias }}.as_of_date
    and {{ as_of_alias }}.as_of_date < coalesce(
        {{ running_alias }}.next_change_as_of_date, cast('9999-12-31' as date)
    )
{%- endmacro %}

{#-
    Pairs of (daily row, as-of date) with the day within the `longest_window_days` days
    strictly before the as-of date: the input of the trailing-window sums (`window_sum`).
    Columns: the daily row's, `as_of_date` and `days_before_as_of`.
-#}
{% macro recent_days_before_as_of(daily_relation, as_of_relation, date_column, longest_window_days=none) -%}
    {%- set longest = longest_window_days or (var('customer_feature_windows_days') | max) -%}
    select
        daily.*,
        as_of_list.as_of_date,
        {{ days_between('daily.' ~ date_column, 'as_of_list.as_of_date') }} as days_before_as_of
    from {{ daily_relation }} as daily
    inner join (
        select
            as_of_date,
            cast({{ dbt.dateadd('day', -1 * longest, 'as_of_date') }} as date) as window_start_date
        from {{ as_of_relation }}
    ) as as_of_list
        on
            daily.{{ date_column }} >= as_of_list.window_start_date
            and daily.{{ date_column }} < as_of_list.as_of_date
{%- endmacro %}

{#-
    The from clause of a rollup's `aggregated` CTE: each `running_relation` row repeated for
    the model's `as_of_dates` until the key's next change, with the key's trailing-window sums
    (`window_relation`, one row per key and as-of date) left-joined.
-#}
{% macro from_running_totals_with_windows(
    running_relation='running_totals', window_relation='window_totals', key_column='customer_id'
) -%}
    from {{ running_relation }}
    inner join as_of_dates
        on {{ spine_dates_until_next_change(running_relation, 'as_of_dates') }}
    left join {{ window_relation }}
        on
            {{ running_relation }}.{{ key_column }} = {{ window_relation }}.{{ key_column }}
            and as_of_dates.as_of_date = {{ window_relation }}.as_of_date
{%- endmacro %}
