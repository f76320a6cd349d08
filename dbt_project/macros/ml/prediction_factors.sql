{#-
    The three top factors of a score (name and contribution each), as select columns, from
    int_predictions_latest rows: `relation` qualifies the columns (e.g. `churn`), `prefix`
    names the output (e.g. `churn_` gives `churn_factor_1_name`). Every scored mart shows them.
-#}
{% macro prediction_factor_columns(relation=none, prefix='') -%}
    {%- set qualifier = relation ~ '.' if relation else '' -%}
    {%- for rank in range(1, 4) %}
        {{ qualifier }}factor_{{ rank }}_name as {{ prefix }}factor_{{ rank }}_name,
        {{ qualifier }}factor_{{ rank }}_contribution as {{ prefix }}factor_{{ rank }}_contribution
        {{- ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
