{#-
    Quarantine reasons written by the loader (sources/load), sorted into data-quality
    dimensions. One quarantined row can fail several dimensions (reasons are joined by "; ").
-#}
{% macro dq_reason_is(reason, dimension) -%}
    {%- set patterns = {
        'completeness': ['%required value is missing%'],
        'validity': ['%is not a valid%', '%is negative%', '%is above%', '%is below%',
                     '%in the future%', '%is before%', '%NUL character%'],
        'consistency': ['%has no row in%'],
        'uniqueness': ['%duplicate key%'],
    } -%}
    ({%- for pattern in patterns[dimension] -%}
        {{ reason }} like '{{ pattern }}'{{ " or " if not loop.last }}
    {%- endfor -%})
{%- endmacro %}

{#- The share of `total` rows that did not fail, as a percentage; 100 when nothing was read. -#}
{% macro dq_pct(failed, total) -%}
    cast(
        case
            when {{ total }} = 0 then 100
            else 100.0 * ({{ total }} - {{ failed }}) / {{ total }}
        end as numeric(7, 2)
    )
{%- endmacro %}

{#-
    Timeliness of a load from the gap since the previous load of the same table, matching the
    raw sources' freshness config: 100 up to `warn_hours`, 0 from `error_hours`, linear between.
-#}
{% macro dq_timeliness_pct(gap_hours, warn_hours=36, error_hours=96) -%}
    cast(
        case
            when {{ gap_hours }} is null or {{ gap_hours }} <= {{ warn_hours }} then 100
            when {{ gap_hours }} >= {{ error_hours }} then 0
            else 100.0 * ({{ error_hours }} - {{ gap_hours }}) / ({{ error_hours }} - {{ warn_hours }})
        end as numeric(7, 2)
    )
{%- endmacro %}
