{#-
    The as-of dates a label model builds this run whose `horizon_days` ended on or before the
    run's as-of date (matured labels). Incremental: a label changes until its horizon is
    complete, so the rebuild looks back the horizon plus var `late_arriving_lookback_days`.
    A select statement with the column `as_of_date`, for an import CTE.
-#}
{% macro matured_label_dates(horizon_days) -%}
    select dates_to_build.as_of_date
    from ({{ as_of_dates_to_build(horizon_days + var('late_arriving_lookback_days')) }}) as dates_to_build
    where {{ days_after('dates_to_build.as_of_date', horizon_days) }} <= ({{ run_as_of_date() }})
{%- endmacro %}
