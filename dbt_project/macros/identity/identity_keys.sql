{#-
    The key of one source record in the identity graph: "<source_system>:<record id>", e.g.
    "commerce_customer:100042". Text, so records of every system share one key space.
-#}
{% macro identity_node_key(source_system, record_id_column) -%}
    '{{ source_system }}:' || cast({{ record_id_column }} as {{ dbt.type_string() }})
{%- endmacro %}

{#-
    A one-way fingerprint of a personal value (normalized email, phone, device id): md5 of its
    text, null stays null. Marts carry these instead of raw values; equal inputs give equal
    hashes on every warehouse, so BI can still count and join on them.
-#}
{% macro hash_pii(column) -%}
    case when {{ column }} is not null then {{ dbt.hash(column) }} end
{%- endmacro %}

{#- The key of a shopper who opened support tickets: the hash of their email, else of their phone. -#}
{% macro support_requester_key(email_column, phone_last10_column) -%}
    {{ hash_pii("coalesce(" ~ email_column ~ ", 'phone:' || " ~ phone_last10_column ~ ")") }}
{%- endmacro %}
