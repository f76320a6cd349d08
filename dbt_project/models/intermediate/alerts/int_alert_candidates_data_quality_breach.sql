{#-
    Data-quality breaches: a raw table whose latest load day on or before the run's as-of date
    breached a data-quality dimension (var `data_quality_min_pct`); critical when a dimension
    fell more than 15 points below it. One alert per table and load day.
-#}
{%- set min_pct = var('data_quality_min_pct', 95) -%}
{%- set dimensions = ['completeness', 'validity', 'consistency', 'uniqueness', 'timeliness'] -%}

with

run_date as (
    {{ run_as_of_date() }}
),

quality_days as (
    select * from {{ ref('data_quality_metrics') }}
),

latest_days as (
    select
        quality_days.table_key,
        max(quality_days.load_date) as load_date
    from quality_days
    cross join run_date
    where quality_days.load_date <= run_date.as_of_date
    group by quality_days.table_key
),

breaches as (
    select
        quality_days.*,
        least(
            {%- for dimension in dimensions %}
                coalesce({{ dimension }}_pct, 100){{ "," if not loop.last }}
            {%- endfor %}
        ) as lowest_pct
    from quality_days
    inner join latest_days
        on
            quality_days.table_key = latest_days.table_key
            and quality_days.load_date = latest_days.load_date
    where quality_days.is_breach
),

final as (
    {%- set factor_lines = [] -%}
    {%- for dimension in dimensions -%}
        {%- do factor_lines.append(
            "case when breaches." ~ dimension ~ "_pct < " ~ min_pct ~ " then '" ~ dimension | capitalize
            ~ ": ' || " ~ alert_number('breaches.' ~ dimension ~ '_pct', 1) ~ " || '% (threshold " ~ min_pct ~ "%)' end"
        ) -%}
    {%- endfor %}
    select
        {{ alert_candidate(
            alert_type='data_quality_breach',
            entity_type='table',
            entity_id='breaches.table_key',
            entity_name='breaches.table_key',
            severity="case when breaches.lowest_pct < " ~ (min_pct - 15) ~ " then 'critical' else 'high' end",
            title="'Data Quality Breach: ' || breaches.table_key",
            details=alert_lines([
                "'Load day: ' || cast(breaches.load_date as " ~ dbt.type_string() ~ ")",
                "'Rows read: ' || " ~ alert_number('breaches.rows_read') ~ " || ', quarantined: ' || "
                    ~ alert_number('breaches.rows_quarantined'),
            ]),
            factors=alert_lines(factor_lines),
            suggested_actions=alert_lines([
                "'See raw_meta.quarantine for the rejected rows and reasons'",
                "'Check the source export and reload the file'",
            ]),
            metric_value='breaches.lowest_pct',
            threshold_value=min_pct,
            window_key="'load-' || cast(breaches.load_date as " ~ dbt.type_string() ~ ")",
            as_of_date='run_date.as_of_date',
        ) }}
    from breaches
    cross join run_date
)

select * from final
