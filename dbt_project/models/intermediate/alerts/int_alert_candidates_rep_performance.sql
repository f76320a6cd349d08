{#-
    Rep performance: a rep whose open deals' average risk is more than var
    `alert_rep_risk_above_team` above their team's (rep_deal_risk), with at least var
    `alert_rep_min_open_deals` deals. To the rep's manager.
-#}
{%- set above_team = var('alert_rep_risk_above_team') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

rep_risk as (
    select * from {{ ref('rep_deal_risk') }}
),

reps_above_team as (
    select
        rep_risk.*,
        rep_risk.team_avg_risk_score * (1 + {{ above_team }}) as threshold_risk_score
    from rep_risk
    where
        rep_risk.open_deal_count >= {{ var('alert_rep_min_open_deals') }}
        and rep_risk.avg_risk_score > rep_risk.team_avg_risk_score * (1 + {{ above_team }})
),

final as (
    select
        {{ alert_candidate(
            alert_type='rep_performance',
            entity_type='rep',
            entity_id='reps_above_team.owner_user_id',
            entity_name='coalesce(reps_above_team.owner_name, reps_above_team.owner_user_id)',
            severity="'medium'",
            title="'Rep Performance Review Needed: ' || coalesce(reps_above_team.owner_name, reps_above_team.owner_user_id)",
            details=alert_lines([
                "'Rep: ' || coalesce(reps_above_team.owner_name, reps_above_team.owner_user_id)",
                "'Average Deal Risk: ' || " ~ alert_number('reps_above_team.avg_risk_score') ~ " || ' (Team Avg: ' || "
                    ~ alert_number('reps_above_team.team_avg_risk_score') ~ " || ')'",
                "'Pipeline: ' || " ~ alert_number('reps_above_team.open_deal_count') ~ " || ' deals, ' || "
                    ~ alert_money('reps_above_team.open_amount'),
            ]),
            factors=alert_lines([
                "case when reps_above_team.weak_lead_source_share > 0 then 'Poor lead qualification (' || "
                    ~ alert_percent('reps_above_team.weak_lead_source_share')
                    ~ " || ' of deals from low-win-rate sources)' end",
                "'Slow deal progression (avg velocity: ' || " ~ alert_number('reps_above_team.avg_deal_velocity', 2)
                    ~ " || ' stages per 30 days)'",
                "case when reps_above_team.stalled_deal_count > 0 then "
                    ~ alert_number('reps_above_team.stalled_deal_count') ~ " || ' stalled deals' end",
            ]),
            suggested_actions=alert_lines([
                "'Review qualification criteria'",
                "'Provide discovery call coaching'",
                "'Consider territory adjustment'",
            ]),
            metric_value='reps_above_team.avg_risk_score',
            threshold_value='reps_above_team.threshold_risk_score',
            owner_user_id='reps_above_team.manager_user_id',
            owner_name='reps_above_team.manager_name',
            owner_slack_user_id='reps_above_team.manager_slack_user_id',
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from reps_above_team
    cross join run_date
)

select * from final
