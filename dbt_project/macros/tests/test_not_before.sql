{#-
    Fails on rows where the column is earlier (or less) than `other_column` of the same row,
    e.g. a ticket solved before it was created, or a score's interval whose upper end lies
    below the score. Rows where either side is null pass.
-#}
{% test not_before(model, column_name, other_column) %}
    select
        {{ column_name }} as checked_value,
        {{ other_column }} as must_not_precede
    from {{ model }}
    where {{ column_name }} < {{ other_column }}
{% endtest %}
