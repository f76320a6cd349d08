{#-
    The urgency tier of an alert, from the customer-success design: critical -> immediate (a
    message at once), high -> within_24h (the daily digest), anything else -> within_week (the
    weekly digest). The notifier plans its messages by this column.
-#}
{% macro alert_urgency(severity) -%}
    case {{ severity }}
        when 'critical' then 'immediate'
        when 'high' then 'within_24h'
        else 'within_week'
    end
{%- endmacro %}

{#- Hours from one timestamp to another, to the minute; null when either is null. -#}
{% macro alert_hours_between(start_expression, end_expression) -%}
    cast({{ dbt.datediff(start_expression, end_expression, 'minute') }} as {{ dbt.type_float() }}) / 60
{%- endmacro %}
