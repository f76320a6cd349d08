{#-
    Building blocks of the alerts mart: numbers and lists rendered as text the same way on every
    warehouse, so the Slack notifier prints the mart's words as they are and BI shows the same.
-#}

{#- Separator of the lines in the multi-line text columns (details, factors, suggested actions). -#}
{% macro alert_line_separator() -%}
    {{ return('; ') }}
{%- endmacro %}

{#- A number as text with a fixed number of decimals (rounded), e.g. 82.0 -> '82.0'. -#}
{% macro alert_number(expression, decimals=0) -%}
    cast(cast({{ expression }} as numeric(18, {{ decimals }})) as {{ dbt.type_string() }})
{%- endmacro %}

{#- A share 0-1 as a whole percentage, e.g. 0.42 -> '42%'. -#}
{% macro alert_percent(expression) -%}
    {{ alert_number('100 * (' ~ expression ~ ')') }} || '%'
{%- endmacro %}

{#- An amount in USD the way the alert examples write it: $950, $2.5K, $50K, $1.2M. -#}
{% macro alert_money(expression) -%}
    case
        when abs({{ expression }}) >= 1000000
            then '$' || {{ alert_number('(' ~ expression ~ ') / 1000000', 1) }} || 'M'
        when abs({{ expression }}) >= 10000
            then '$' || {{ alert_number('(' ~ expression ~ ') / 1000') }} || 'K'
        when abs({{ expression }}) >= 1000
            then '$' || {{ alert_number('(' ~ expression ~ ') / 1000', 1) }} || 'K'
        else '$' || {{ alert_number(expression) }}
    end
{%- endmacro %}

{#-
    The non-null texts among `expressions` joined by the line separator, in order; null when all
    are null. Every line is prefixed with the separator, then the first one is cut off.
-#}
{% macro alert_lines(expressions) -%}
    {%- set separator = alert_line_separator() -%}
    nullif(
        substr(
            {% for expression in expressions -%}
                coalesce('{{ separator }}' || ({{ expression }}), '')
                {%- if not loop.last %} || {% endif %}
            {% endfor -%},
            {{ separator | length + 1 }}
        ),
        ''
    )
{%- endmacro %}

{#- A model's top factor as a line: 'days since last order (+0.12)'; null without a factor. -#}
{% macro alert_model_factor(name_column, contribution_column) -%}
    case
        when {{ name_column }} is not null
            then replace({{ name_column }}, '_', ' ')
            || ' ('
            || case when {{ contribution_column }} >= 0 then '+' else '' end
            || {{ alert_number(contribution_column, 2) }}
            || ')'
    end
{%- endmacro %}

{#-
    Deterministic alert id: md5 of the alert type, the entity and the alert's window (its day,
    quarter or milestone), so a rerun of the same day produces the same ids.
-#}
{% macro alert_id(alert_type, entity_type, entity_id, window_key) -%}
    md5(
        {{ alert_type }} || '|' || {{ entity_type }} || '|' || {{ entity_id }} || '|' || {{ window_key }}
    )
{%- endmacro %}

{#- The churn probability a churn risk band starts above (var `churn_risk_thresholds`). -#}
{% macro alert_band_threshold(band_column) -%}
    {%- set thresholds = var('churn_risk_thresholds') -%}
    case {{ band_column }}
        when 'critical' then {{ thresholds['critical'] }}
        when 'high' then {{ thresholds['high'] }}
        else {{ thresholds['medium'] }}
    end
{%- endmacro %}

{#-
    When the run raised its alerts: the start of the `as_of_date` var's day when set (a run as it
    would have been on that date), else the current UTC time.
-#}
{% macro alert_created_at() -%}
    {%- set as_of_date = as_of_date_value() -%}
    {%- if as_of_date -%}
        cast('{{ as_of_date }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ utc_now() }}
    {%- endif -%}
{%- endmacro %}
