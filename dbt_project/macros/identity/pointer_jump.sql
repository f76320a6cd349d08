{#-
    One pointer-jumping step of the identity components (int_identity_components): each node
    of `labels` (node_number, component_label) takes the smaller of its label and its label's
    label. A select statement over the relation `labels`.
-#}
{% macro identity_pointer_jump(labels) -%}
    {{ return(adapter.dispatch('identity_pointer_jump', 'customer_intelligence')(labels)) }}
{%- endmacro %}

{% macro default__identity_pointer_jump(labels) -%}
    select
        hooked.node_number,
        least(hooked.component_label, label_of_label.component_label) as component_label
    from {{ labels }} as hooked
    inner join {{ labels }} as label_of_label
        on hooked.component_label = label_of_label.node_number
{%- endmacro %}
