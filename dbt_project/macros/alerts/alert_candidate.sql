{#-
    The columns every alert candidate model selects, in the order of the candidates' contract
    (models/intermediate/alerts/_alerts__models.yml). `alert_type` and `entity_type` are names;
    the other arguments are SQL expressions. Without an owner the alerts mart routes the alert
    to its type's fallback channel (seed alert_types).
-#}
{% macro alert_candidate(
    alert_type, entity_type, entity_id, entity_name, severity, title,
    details, factors, suggested_actions, metric_value, threshold_value, window_key, as_of_date,
    owner_user_id=none, owner_name=none, owner_slack_user_id=none, cc_slack_user_id=none
) -%}
    {%- set text = dbt.type_string() -%}
    {%- set number = dbt.type_float() -%}
    cast('{{ alert_type }}' as {{ text }}) as alert_type,
    cast('{{ entity_type }}' as {{ text }}) as entity_type,
    cast({{ entity_id }} as {{ text }}) as entity_id,
    cast({{ entity_name }} as {{ text }}) as entity_name,
    cast({{ severity }} as {{ text }}) as severity,
    cast({{ title }} as {{ text }}) as title,
    cast({{ details }} as {{ text }}) as details,
    cast({{ factors }} as {{ text }}) as factors,
    cast({{ suggested_actions }} as {{ text }}) as suggested_actions,
    cast({{ metric_value }} as {{ number }}) as metric_value,
    cast({{ threshold_value }} as {{ number }}) as threshold_value,
    cast({{ owner_user_id or 'null' }} as {{ text }}) as owner_user_id,
    cast({{ owner_name or 'null' }} as {{ text }}) as owner_name,
    cast({{ owner_slack_user_id or 'null' }} as {{ text }}) as owner_slack_user_id,
    cast({{ cc_slack_user_id or 'null' }} as {{ text }}) as cc_slack_user_id,
    cast({{ window_key }} as {{ text }}) as window_key,
    cast({{ as_of_date }} as date) as as_of_date
{%- endmacro %}

{#- The candidate columns in order (as `alert_candidate` writes them). -#}
{% macro alert_candidate_column_names() -%}
    {{ return([
        'alert_type', 'entity_type', 'entity_id', 'entity_name', 'severity', 'title',
        'details', 'factors', 'suggested_actions', 'metric_value', 'threshold_value',
        'owner_user_id', 'owner_name', 'owner_slack_user_id', 'cc_slack_user_id',
        'window_key', 'as_of_date',
    ]) }}
{%- endmacro %}

{#-
    The candidate models stacked by column name, not position: each select names the
    candidate columns, so a model whose columns come in another order cannot shift them.
-#}
{% macro union_alert_candidates(models) -%}
    {%- for model in models %}
    select
        {%- for column in alert_candidate_column_names() %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
