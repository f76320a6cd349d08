{#-
    Statistical outliers in the daily KPIs (daily_kpis): each day of the last var
    `anomaly_lookback_days` against a seasonal baseline - the median of the same weekday in the
    previous var `anomaly_baseline_weeks` weeks - scaled by the median absolute deviation
    (x 1.4826, the normal-consistent MAD; at least var `anomaly_min_mad_share` of the median so
    a flat series does not flag noise, and for the count KPIs of var `anomaly_count_kpis` at
    least the square root of the median, their Poisson noise). The amounts of var
    `anomaly_log_kpis` are judged on the log scale (ln(1 + value)): relative changes. A robust z beyond var `anomaly_z_threshold` either way
    is an anomaly. Only anomalous days are kept.
-#}
{%- set weeks = var('anomaly_baseline_weeks') %}
{%- set same_weekday_lags = range(7, 7 * weeks + 1, 7) | join(', ') %}
{%- set count_kpis = "'" ~ (var('anomaly_count_kpis') | join("', '")) ~ "'" %}
{%- set log_kpis = "'" ~ (var('anomaly_log_kpis') | join("', '")) ~ "'" %}

with

run_date as (
    {{ run_as_of_date() }}
),

daily_kpis as (
    select * from {{ ref('daily_kpis') }}
),

check_values as (
    {#- Amounts are judged on the log scale: their days are lumpy, their changes relative. -#}
    select
        kpi_name,
        kpi_date,
        kpi_value,
        case
            when kpi_name in ({{ log_kpis }}) then ln(1 + greatest(kpi_value, 0))
            else kpi_value
        end as check_value
    from daily_kpis
    where kpi_value is not null
),

checked_days as (
    select check_values.*
    from check_values
    cross join run_date
    where check_values.kpi_date >= {{ days_before('run_date.as_of_date', var('anomaly_lookback_days')) }}
),

same_weekday_history as (
    select
        checked_days.kpi_name,
        checked_days.kpi_date,
        history.check_value as baseline_value
    from checked_days
    inner join check_values as history
        on
            checked_days.kpi_name = history.kpi_name
            and {{ days_between('history.kpi_date', 'checked_days.kpi_date') }} in ({{ same_weekday_lags }})
),

baselines as (
    select
        kpi_name,
        kpi_date,
        count(*) as baseline_days,
        percentile_cont(0.5) within group (order by baseline_value) as baseline_median
    from same_weekday_history
    group by kpi_name, kpi_date
),

deviations as (
    select
        baselines.kpi_name,
        baselines.kpi_date,
        percentile_cont(0.5) within group (
            order by abs(same_weekday_history.baseline_value - baselines.baseline_median)
        ) as baseline_mad
    from baselines
    inner join same_weekday_history
        on
            baselines.kpi_name = same_weekday_history.kpi_name
            and baselines.kpi_date = same_weekday_history.kpi_date
    group by baselines.kpi_name, baselines.kpi_date
),

scored as (
    select
        checked_days.kpi_name,
        checked_days.kpi_date,
        checked_days.kpi_value,
        checked_days.check_value,
        case
            when checked_days.kpi_name in ({{ log_kpis }}) then exp(baselines.baseline_median) - 1
            else baselines.baseline_median
        end as baseline_median,
        baselines.baseline_median as check_median,
        deviations.baseline_mad,
        baselines.baseline_days,
        greatest(
            1.4826 * deviations.baseline_mad,
            {#- On the log scale the share is itself the floor: 0.05 = 5%. #}
            {{ var('anomaly_min_mad_share') }} * case
                when checked_days.kpi_name in ({{ log_kpis }}) then 1
                else abs(baselines.baseline_median)
            end,
            {#- Counts are at least Poisson-noisy: a handful of orders a day is not a trend. #}
            case
                when checked_days.kpi_name in ({{ count_kpis }})
                    then sqrt(abs(baselines.baseline_median))
                else 0
            end
        ) as baseline_scale
    from checked_days
    inner join baselines
        on
            checked_days.kpi_name = baselines.kpi_name
            and checked_days.kpi_date = baselines.kpi_date
    inner join deviations
        on
            checked_days.kpi_name = deviations.kpi_name
            and checked_days.kpi_date = deviations.kpi_date
    {#- Half the baseline weeks at least, so a new KPI is not judged on two points. #}
    where baselines.baseline_days >= {{ (weeks / 2) | round(0, 'ceil') | int }}
),

robust_scores as (
    select
        scored.*,
        (scored.check_value - scored.check_median) / nullif(scored.baseline_scale, 0) as robust_z
    from scored
),

final as (
    select
        cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
        kpi_date,
        cast(kpi_value as {{ dbt.type_float() }}) as kpi_value,
        cast(baseline_median as {{ dbt.type_float() }}) as baseline_median,
        cast(baseline_mad as {{ dbt.type_float() }}) as baseline_mad,
        cast(baseline_days as {{ dbt.type_int() }}) as baseline_days,
        cast(robust_z as {{ dbt.type_float() }}) as robust_z,
        cast(case when robust_z > 0 then 'spike' else 'drop' end as {{ dbt.type_string() }}) as direction,
        cast({{ safe_ratio('kpi_value - baseline_median', 'baseline_median') }} as {{ dbt.type_float() }})
            as change_vs_baseline
    from robust_scores
    where abs(robust_z) > {{ var('anomaly_z_threshold') }}
)

select * from final
