{#-
    Rows of `relation` (a CTE name, a relation, or what `source_or_empty` returns) with a
    non-null `key`, keeping one row per key: the first by `order_by` (a list of
    "column [asc|desc]"). Nulls always sort last, so a row with a known timestamp wins over one
    without. The helper column `_dedup_row_number` is left in the output; callers select their
    columns explicitly.
-#}
{% macro deduplicate(relation, key, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by
                {%- for ordering in order_by %}
                    {{ ordering }} nulls last{{ "," if not loop.last }}
                {%- endfor %}
            ) as _dedup_row_number
        from {{ relation }}
        where {{ key }} is not null
    ) as ranked
    where _dedup_row_number = 1
{%- endmacro %}

{#-
    The usual staging ordering: the latest load wins, then the latest CRM change (when the
    table has `updated_at`), then the last row in the file.
-#}
{% macro latest_row_order(has_updated_at=false) -%}
    {%- set ordering = ['_loaded_at desc'] -%}
    {%- if has_updated_at %}{% do ordering.append('updated_at desc') %}{% endif -%}
    {%- do ordering.append('_source_row desc') -%}
    {{ return(ordering) }}
{%- endmacro %}
