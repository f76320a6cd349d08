{#-
    Fails on rows whose timestamp lies ahead of now by more than the clock-skew grace
    (var `future_timestamp_grace_hours`). Nulls pass.
-#}
{% test not_in_future(model, column_name) %}
    select {{ column_name }} as future_value
    from {{ model }}
    where {{ is_future(column_name) }}
{% endtest %}
