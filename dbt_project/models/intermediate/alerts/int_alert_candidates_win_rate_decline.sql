{#-
    Win-rate decline: a segment whose win rate in the latest complete quarter fell more than
    var `alert_win_rate_decline_points` points on the prior quarter, both quarters with at
    least var `alert_win_rate_min_closed_deals` closed deals. One alert per segment and quarter.
-#}
{%- set decline_points = var('alert_win_rate_decline_points') -%}
{%- set min_closed = var('alert_win_rate_min_closed_deals') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

segment_quarters as (
    select * from {{ ref('segment_performance') }}
),

latest_complete_quarter as (
    select max(quarter_start_date) as quarter_start_date
    from segment_quarters
    where is_complete_quarter
),

declining_segments as (
    select segment_quarters.*
    from segment_quarters
    inner join latest_complete_quarter
        on segment_quarters.quarter_start_date = latest_complete_quarter.quarter_start_date
    where
        segment_quarters.win_rate_change_points < -1 * {{ decline_points }}
        and segment_quarters.closed_deals >= {{ min_closed }}
        and segment_quarters.prior_quarter_closed_deals >= {{ min_closed }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='win_rate_decline',
            entity_type='segment',
            entity_id='declining_segments.segment',
            entity_name='declining_segments.segment',
            severity="'high'",
            title="'Win Rate Decline: ' || declining_segments.segment || ' segment'",
            details=alert_lines([
                "'Current Quarter: ' || " ~ alert_percent('declining_segments.win_rate') ~ " || ' win rate'",
                "'Prior Quarter: ' || " ~ alert_percent('declining_segments.prior_quarter_win_rate')
                    ~ " || ' win rate'",
                "'Change: ' || " ~ alert_number('declining_segments.win_rate_change_points')
                    ~ " || ' percentage points'",
            ]),
            factors=alert_lines([
                "'Affected Deals: ' || " ~ alert_number('declining_segments.lost_deals') ~ " || ' losses (vs. ' || "
                    ~ alert_number('declining_segments.closed_deals * (1 - declining_segments.prior_quarter_win_rate)')
                    ~ " || ' expected)'",
                "'Revenue Impact: ' || " ~ alert_money('declining_segments.lost_amount'),
                "'Average sales cycle: ' || " ~ alert_number('declining_segments.avg_sales_cycle_days') ~ " || ' days'",
            ]),
            suggested_actions=alert_lines([
                "'Conduct win/loss interviews'",
                "'Review competitive positioning'",
                "'Assess pricing strategy'",
            ]),
            metric_value='declining_segments.win_rate_change_points',
            threshold_value=-1 * decline_points,
            window_key="'quarter-' || cast(declining_segments.quarter_start_date as " ~ dbt.type_string() ~ ")",
            as_of_date='run_date.as_of_date',
        ) }}
    from declining_segments
    cross join run_date
)

select * from final
