{#- Column cleaning shared by the staging models. Each returns a SQL expression. -#}

{#- Trimmed text; blank becomes null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- Trimmed, lowercased text for emails and categorical values; blank becomes null. -#}
{% macro clean_lower(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- Digits only ("+1 (555) 010-2030" -> "15550102030"); null when no digit is left. -#}
{% macro normalize_phone(column) -%}
    nullif({{ strip_non_digits(column) }}, '')
{%- endmacro %}

{#-
    The last ten digits of the phone, so "+1 555 010 2030" and "(555) 010-2030" match;
    this is the form identity resolution joins on. Null below seven digits (not a phone).
-#}
{% macro phone_last10(column) -%}
    case
        when length({{ strip_non_digits(column) }}) >= 7
            then right({{ strip_non_digits(column) }}, 10)
    end
{%- endmacro %}

{% macro strip_non_digits(column) -%}
    {{ return(adapter.dispatch('strip_non_digits', 'customer_intelligence')(column)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL both take the POSIX class and the global flag. -#}
{% macro default__strip_non_digits(column) -%}
    regexp_replace({{ column }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro snowflake__strip_non_digits(column) -%}
    regexp_replace({{ column }}, '[^0-9]', '')
{%- endmacro %}

{% macro bigquery__strip_non_digits(column) -%}
    regexp_replace({{ column }}, r'[^0-9]', '')
{%- endmacro %}
