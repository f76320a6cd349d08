{#-
    Risk band of a probability by var `churn_risk_thresholds`: critical, high, medium or low
    (strictly above each threshold); null stays null.
-#}
{% macro risk_band(probability) -%}
    {%- set thresholds = var('churn_risk_thresholds') -%}
    case
        when {{ probability }} is null then null
        when {{ probability }} > {{ thresholds['critical'] }} then 'critical'
        when {{ probability }} > {{ thresholds['high'] }} then 'high'
        when {{ probability }} > {{ thresholds['medium'] }} then 'medium'
        else 'low'
    end
{%- endmacro %}
