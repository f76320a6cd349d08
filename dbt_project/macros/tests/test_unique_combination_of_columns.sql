{#-
    Fails on each combination of `combination_of_columns` that occurs on more than one row:
    the uniqueness test for a composite grain such as (customer_id, as_of_date).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
