{#-
    Pipeline health: a segment (or `all`) whose pipeline health index on the latest date at or
    before the run's as-of date is under var `alert_pipeline_health_threshold`; critical under
    var `alert_pipeline_health_critical`. One alert per segment and health date.
-#}
{%- set threshold = var('alert_pipeline_health_threshold') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

pipeline_health as (
    select * from {{ ref('pipeline_health') }}
),

latest_health_date as (
    select max(pipeline_health.as_of_date) as as_of_date
    from pipeline_health
    cross join run_date
    where pipeline_health.as_of_date <= run_date.as_of_date
),

unhealthy_segments as (
    select pipeline_health.*
    from pipeline_health
    inner join latest_health_date
        on pipeline_health.as_of_date = latest_health_date.as_of_date
    where pipeline_health.pipeline_health_index < {{ threshold }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='pipeline_health',
            entity_type='segment',
            entity_id='unhealthy_segments.segment',
            entity_name='unhealthy_segments.segment',
            severity="case when unhealthy_segments.pipeline_health_index < "
                ~ var('alert_pipeline_health_critical') ~ " then 'critical' else 'high' end",
            title="'Pipeline Health Index: ' || " ~ alert_number('unhealthy_segments.pipeline_health_index')
                ~ " || '/100' || case when unhealthy_segments.segment = 'all' then ''
                    else ' (' || unhealthy_segments.segment || ')' end",
            details=alert_lines([
                "'Current Index: ' || " ~ alert_number('unhealthy_segments.pipeline_health_index') ~ " || '/100'
                    || coalesce(' (was ' || " ~ alert_number('unhealthy_segments.pipeline_health_index_4_weeks_ago')
                    ~ " || ' four weeks ago)', '')",
                "'Open pipeline: ' || " ~ alert_number('unhealthy_segments.open_deals') ~ " || ' deals, ' || "
                    ~ alert_money('unhealthy_segments.open_pipeline_amount'),
            ]),
            factors=alert_lines([
                "'Win rate: ' || " ~ alert_percent('unhealthy_segments.win_rate_90d') ~ " || ' (90 days)'",
                "'Avg deal size: ' || " ~ alert_money('unhealthy_segments.avg_won_amount'),
                "'Sales cycle: ' || " ~ alert_number('unhealthy_segments.sales_cycle_days_90d')
                    ~ " || ' days (baseline ' || " ~ alert_number('unhealthy_segments.sales_cycle_days_baseline')
                    ~ " || ' days)'",
                "'Coverage: ' || " ~ alert_number('unhealthy_segments.coverage_ratio', 1)
                    ~ " || 'x (target " ~ var('pipeline_coverage_target') ~ "x)'",
            ]),
            suggested_actions=alert_lines([
                "'Strategic pipeline review meeting'",
                "'Assess market conditions'",
                "'Review sales process effectiveness'",
            ]),
            metric_value='unhealthy_segments.pipeline_health_index',
            threshold_value=threshold,
            window_key='unhealthy_segments.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from unhealthy_segments
    cross join run_date
)

select * from final
