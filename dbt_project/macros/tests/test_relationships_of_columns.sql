{#-
    Fails on each combination of `columns` that has no row with the same values in `to`: the
    relationships test for a composite key, such as (alert_type, entity_type) in the seed
    alert_types. Rows with a null in any of the columns are not checked.
-#}
{% test relationships_of_columns(model, to, columns) %}
    select distinct
        {%- for column in columns %}
        child.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }} as child
    where
        {%- for column in columns %}
        child.{{ column }} is not null and
        {%- endfor %}
        not exists (
            select 1
            from {{ to }} as parent
            where
                {%- for column in columns %}
                parent.{{ column }} = child.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}
        )
{% endtest %}
