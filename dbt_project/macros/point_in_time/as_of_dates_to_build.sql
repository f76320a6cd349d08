{#-
    The one rule for which as-of dates a point-in-time model (features, labels) builds: every
    spine date on a full build; on an incremental run the spine dates the model does not hold
    yet - the new run's dates and those of an earlier `--as-of` run (a backfill) - while the
    dates already built stay as they are (only events before each date count, so they do not
    change). A label model that emits only matured dates picks a date up on the first run after
    it matured. A select statement with the column `as_of_date`, for an import CTE.

    Late-arriving rows (an event loaded after its as-of date was built) are the one case this
    rule does not cover; rebuilding the spine dates within a lookback window of the run's
    as-of date belongs here, as a second condition beside `not in`.
-#}
{% macro as_of_dates_to_build() -%}
    select spine.as_of_date
    from {{ ref('int_as_of_dates') }} as spine
    {%- if is_incremental() %}
    where spine.as_of_date not in (select existing.as_of_date from {{ this }} as existing)
    {%- endif %}
{%- endmacro %}
