{#-
    The columns every staging model ends with: whether the row's own time lies in the future
    (`is_future_dated`, when the table has such a time) and the load metadata (`_loaded_at`,
    `_batch_id`).
-#}
{% macro staging_metadata(event_timestamp=none) -%}
    {%- if event_timestamp is not none -%}
        {{ is_future(event_timestamp) }} as is_future_dated,
    {% endif -%}
    _loaded_at,
    _batch_id
{%- endmacro %}
