{#-
    KPI anomalies: a daily KPI outside its seasonal baseline (kpi_anomalies) on one of the last
    var `alert_anomaly_days` days before the run's as-of date. High when the robust z is at
    least twice var `anomaly_z_threshold`, else medium. One alert per KPI and day.
-#}
{%- set threshold = var('anomaly_z_threshold') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

anomalies as (
    select * from {{ ref('kpi_anomalies') }}
),

recent_anomalies as (
    select anomalies.*
    from anomalies
    cross join run_date
    where anomalies.kpi_date >= {{ days_before('run_date.as_of_date', var('alert_anomaly_days')) }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='anomaly',
            entity_type='kpi',
            entity_id='recent_anomalies.kpi_name',
            entity_name='recent_anomalies.kpi_name',
            severity="case when abs(recent_anomalies.robust_z) >= " ~ 2 * threshold
                ~ " then 'high' else 'medium' end",
            title="'KPI ' || recent_anomalies.direction || ': ' || recent_anomalies.kpi_name || ' on '
                || cast(recent_anomalies.kpi_date as " ~ dbt.type_string() ~ ")",
            details=alert_lines([
                "'Value: ' || " ~ alert_number('recent_anomalies.kpi_value', 2),
                "'Baseline (median of the same weekday): ' || " ~ alert_number('recent_anomalies.baseline_median', 2),
                "'Change: ' || " ~ alert_percent('recent_anomalies.change_vs_baseline'),
            ]),
            factors=alert_lines([
                "'Robust z-score ' || " ~ alert_number('recent_anomalies.robust_z', 1)
                    ~ " || ' (threshold " ~ threshold ~ ")'",
                "'Typical deviation (MAD): ' || " ~ alert_number('recent_anomalies.baseline_mad', 2),
            ]),
            suggested_actions=alert_lines([
                "'Check the source loads and data quality for that day'",
                "case when recent_anomalies.direction = 'drop' then 'Look for an outage, a broken tracking"
                    ~ " or a lost channel' else 'Look for a campaign, a bulk order or duplicated rows' end",
            ]),
            metric_value='recent_anomalies.robust_z',
            threshold_value=threshold,
            window_key="'day-' || cast(recent_anomalies.kpi_date as " ~ dbt.type_string() ~ ")",
            as_of_date='run_date.as_of_date',
        ) }}
    from recent_anomalies
    cross join run_date
)

select * from final
