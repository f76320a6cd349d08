{#-
    Spark's spelling of the cross-database macros where dbt-spark's own differs from what
    DuckDB and PostgreSQL compute (the Spark tests compare the staging rows of both).
-#}

{#-
    Whole second, minute, hour and day boundaries crossed between two timestamps, as DuckDB's
    date_diff and dbt-postgres count them (10:59 to 11:01 is one hour). dbt-spark counts
    whole elapsed units instead, which gives one less for such pairs.
-#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set seconds = {'second': 1, 'minute': 60, 'hour': 3600} -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart in seconds -%}
        cast(
            (
                unix_timestamp(date_trunc('{{ datepart }}', {{ second_date }}))
                - unix_timestamp(date_trunc('{{ datepart }}', {{ first_date }}))
            ) / {{ seconds[datepart] }}
            as bigint
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff on Spark: unsupported datepart " ~ datepart) }}
    {%- endif -%}
{%- endmacro %}

{#- Spark's regexp_replace replaces every match; it takes no flags. -#}
{% macro spark__strip_non_digits(column) -%}
    regexp_replace({{ column }}, '[^0-9]', '')
{%- endmacro %}
