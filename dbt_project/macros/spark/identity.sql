{#-
    identity_pointer_jump on Spark, reading `labels` once. Spark inlines a CTE at every
    reference, so a self-join in each round doubles the plan of the next (2^7 copies of the
    first round after seven rounds; a build of 120 customers took minutes). Here each node
    asks for its label's label (a question keyed by its label) and answers for itself (keyed
    by its own number), and a window over the key hands each question its answer.
-#}
{% macro spark__identity_pointer_jump(labels) -%}
    select
        asked_by as node_number,
        least(label_key, answer) as component_label
    from (
        select
            label_key,
            asked_by,
            max(answer) over (partition by label_key) as answer
        from (
            select inline(array(
                named_struct(
                    'label_key', cast(component_label as bigint),
                    'asked_by', cast(node_number as bigint),
                    'answer', cast(null as bigint)
                ),
                named_struct(
                    'label_key', cast(node_number as bigint),
                    'asked_by', cast(null as bigint),
                    'answer', cast(component_label as bigint)
                )
            ))
            from {{ labels }}
        ) as questions_and_answers
    ) as answered
    where asked_by is not null
{%- endmacro %}
