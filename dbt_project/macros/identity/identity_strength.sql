{#-
    Identity strength (0-1): how surely a set of identifiers is one identifiable person. Each
    identifier type held adds its weight from var `identity_strength_weights` (sum 1); each of
    the types in var `identity_conflict_types` held with two or more values (one email seen
    with two phones, say) takes `identity_conflict_penalty` off; never below 0. `counts` maps
    an identifier type to the SQL of its distinct-value count; a type it leaves out counts 0.
    One formula for a single record (which record is a merge's base profile) and for a whole
    profile.
-#}
{% macro identity_strength(counts) -%}
    {%- set weights = var('identity_strength_weights') -%}
    {%- set penalty = var('identity_conflict_penalty') -%}
    greatest(
        0
        {%- for identifier_type, weight in weights.items() if identifier_type in counts %}
        + (case when {{ counts[identifier_type] }} > 0 then {{ weight }} else 0 end)
        {%- endfor %}
        {%- for identifier_type in var('identity_conflict_types') if identifier_type in counts %}
        - (case when {{ counts[identifier_type] }} > 1 then {{ penalty }} else 0 end)
        {%- endfor %},
        0
    )
{%- endmacro %}

{#- The identity graph's browser node id: the device id, else the cookie (cookie-only sessions). -#}
{% macro web_browser_id(device_column, cookie_column) -%}
    coalesce({{ device_column }}, 'cookie:' || {{ cookie_column }})
{%- endmacro %}

{#-
    How many of the grouped rows hold each identifier type: one column per type, named as
    `identity_strength`'s counts are (`email_count` ... `device_count`, `cookie_count`).
-#}
{% macro identifier_type_counts(type_column='identifier_type') -%}
    {%- set columns = {
        'email': 'email_count', 'phone': 'phone_count', 'whatsapp': 'whatsapp_count',
        'loyalty_id': 'loyalty_id_count', 'qr_id': 'qr_id_count',
        'device_id': 'device_count', 'cookie_id': 'cookie_count',
    } -%}
    {%- for identifier_type, column in columns.items() %}
    sum(case when {{ type_column }} = '{{ identifier_type }}' then 1 else 0 end) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
