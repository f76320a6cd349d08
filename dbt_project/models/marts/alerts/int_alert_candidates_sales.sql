{{ config(materialized='view', schema='intermediate') }}
{#-
    Alert candidates about the sales pipeline at the run's as-of date: high-risk deals (model
    risk above var `alert_deal_risk_threshold`, to the rep with the manager copied), segments
    whose win rate fell on the prior quarter, reps whose average open-deal risk is well above
    their team's (to the manager), and a pipeline health index under the threshold.
-#}
{%- set deal_threshold = var('alert_deal_risk_threshold') -%}
{%- set health_threshold = var('alert_pipeline_health_threshold') -%}
{%- set min_closed = var('alert_win_rate_min_closed_deals') -%}

with

deal_scores as (
    select * from {{ ref('deal_risk_scores') }}
),

open_deals as (
    select * from {{ ref('opportunity_pipeline') }}
),

segment_quarters as (
    select * from {{ ref('segment_performance') }}
),

pipeline_health as (
    select * from {{ ref('pipeline_health') }}
),

crm_users as (
    select * from {{ ref('stg_crm__users') }}
),

run_date as (
    {{ run_as_of_date() }}
),

scored_deals as (
    select
        open_deals.*,
        deal_scores.risk_score,
        deal_scores.factor_1_name,
        deal_scores.factor_1_contribution,
        deal_scores.factor_2_name,
        deal_scores.factor_2_contribution,
        deal_scores.factor_3_name,
        deal_scores.factor_3_contribution,
        run_date.as_of_date as run_as_of_date
    from open_deals
    inner join deal_scores
        on open_deals.opportunity_id = deal_scores.opportunity_id
    cross join run_date
),

high_risk_deal as (
    select
        'high_risk_deal' as alert_type,
        'opportunity' as entity_type,
        opportunity_id as entity_id,
        coalesce(account_name, opportunity_id) as entity_name,
        case when risk_score >= {{ var('alert_deal_risk_critical') }} then 'critical' else 'high' end as severity,
        'High-Risk Deal: ' || opportunity_id || coalesce(' - ' || account_name, '')
        || coalesce(' (' || {{ alert_money('amount') }} || ')', '') as title,
        {{ alert_lines([
            "'Risk Score: ' || " ~ alert_number('risk_score') ~ " || '/100'",
            "'Stage: ' || stage_name || coalesce(' (' || " ~ alert_number('days_in_stage') ~ " || ' days)', '')",
            "'Owner: ' || owner_name",
        ]) }} as details,
        {{ alert_lines([
            "case when age_vs_segment_cycle > 1 then 'Sales cycle ' || "
                ~ alert_percent('age_vs_segment_cycle - 1') ~ " || ' longer than segment average' end",
            "case when has_weak_lead_source then 'Lead source (' || lead_source || ') has ' || "
                ~ alert_percent('lead_source_win_rate') ~ " || ' win rate' end",
            "case when is_stalled or is_slow_in_stage then 'Deal moving slowly (velocity: ' || "
                ~ alert_number('deal_velocity', 2) ~ " || ' stages per 30 days)' end",
            "case when has_competitor then 'A competitor is named on the deal' end",
            "case when is_past_expected_close then 'Expected close date has passed' end",
            alert_model_factor('factor_1_name', 'factor_1_contribution'),
            alert_model_factor('factor_2_name', 'factor_2_contribution'),
            alert_model_factor('factor_3_name', 'factor_3_contribution'),
        ]) }} as factors,
        {{ alert_lines([
            "'Schedule executive engagement call'",
            "case when is_stalled or is_slow_in_stage then 'Reduce POC scope to accelerate' end",
            "case when has_competitor then 'Review competitive landscape' else 'Confirm budget, decision maker and timeline' end",
        ]) }} as suggested_actions,
        cast(risk_score as {{ dbt.type_float() }}) as metric_value,
        cast({{ deal_threshold }} as {{ dbt.type_float() }}) as threshold_value,
        owner_user_id,
        owner_name,
        owner_slack_user_id,
        manager_slack_user_id as cc_slack_user_id,
        cast(run_as_of_date as {{ dbt.type_string() }}) as window_key
    from scored_deals
    where risk_score > {{ deal_threshold }}
),

latest_complete_quarter as (
    select max(quarter_start_date) as quarter_start_date
    from segment_quarters
    where is_complete_quarter
),

win_rate_decline as (
    select
        'win_rate_decline' as alert_type,
        'segment' as entity_type,
        segment_quarters.segment as entity_id,
        segment_quarters.segment as entity_name,
        'high' as severity,
        'Win Rate Decline: ' || segment_quarters.segment || ' segment' as title,
        {{ alert_lines([
            "'Current Quarter: ' || " ~ alert_percent('segment_quarters.win_rate') ~ " || ' win rate'",
            "'Prior Quarter: ' || " ~ alert_percent('segment_quarters.prior_quarter_win_rate') ~ " || ' win rate'",
            "'Change: ' || " ~ alert_number('segment_quarters.win_rate_change_points') ~ " || ' percentage points'",
        ]) }} as details,
        {{ alert_lines([
            "'Affected Deals: ' || " ~ alert_number('segment_quarters.lost_deals') ~ " || ' losses (vs. ' || "
                ~ alert_number('segment_quarters.closed_deals * (1 - segment_quarters.prior_quarter_win_rate)')
                ~ " || ' expected)'",
            "'Revenue Impact: ' || " ~ alert_money('segment_quarters.lost_amount'),
            "'Average sales cycle: ' || " ~ alert_number('segment_quarters.avg_sales_cycle_days') ~ " || ' days'",
        ]) }} as factors,
        {{ alert_lines([
            "'Conduct win/loss interviews'",
            "'Review competitive positioning'",
            "'Assess pricing strategy'",
        ]) }} as suggested_actions,
        segment_quarters.win_rate_change_points as metric_value,
        cast(-1 * {{ var('alert_win_rate_decline_points') }} as {{ dbt.type_float() }}) as threshold_value,
        cast(null as {{ dbt.type_string() }}) as owner_user_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        cast(null as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(null as {{ dbt.type_string() }}) as cc_slack_user_id,
        {#- One alert per segment and quarter. #}
        'quarter-' || cast(segment_quarters.quarter_start_date as {{ dbt.type_string() }}) as window_key
    from segment_quarters
    inner join latest_complete_quarter
        on segment_quarters.quarter_start_date = latest_complete_quarter.quarter_start_date
    where
        segment_quarters.win_rate_change_points < -1 * {{ var('alert_win_rate_decline_points') }}
        and segment_quarters.closed_deals >= {{ min_closed }}
        and segment_quarters.prior_quarter_closed_deals >= {{ min_closed }}
),

rep_deals as (
    select
        scored_deals.*,
        coalesce(reps.team_name, 'all') as team_name
    from scored_deals
    left join crm_users as reps
        on scored_deals.owner_user_id = reps.user_id
    where scored_deals.owner_user_id is not null
),

team_risk as (
    select
        team_name,
        avg(risk_score) as team_avg_risk
    from rep_deals
    group by team_name
),

rep_risk as (
    select
        owner_user_id,
        owner_name,
        team_name,
        manager_user_id,
        manager_slack_user_id,
        count(*) as open_deal_count,
        sum(amount) as open_amount,
        avg(risk_score) as avg_risk,
        avg(deal_velocity) as avg_velocity,
        avg(case when has_weak_lead_source then 1.0 else 0.0 end) as weak_source_share,
        sum(case when is_stalled then 1 else 0 end) as stalled_deal_count
    from rep_deals
    group by owner_user_id, owner_name, team_name, manager_user_id, manager_slack_user_id
),

rep_performance as (
    select
        'rep_performance' as alert_type,
        'rep' as entity_type,
        rep_risk.owner_user_id as entity_id,
        coalesce(rep_risk.owner_name, rep_risk.owner_user_id) as entity_name,
        'medium' as severity,
        'Rep Performance Review Needed: ' || coalesce(rep_risk.owner_name, rep_risk.owner_user_id) as title,
        {{ alert_lines([
            "'Rep: ' || coalesce(rep_risk.owner_name, rep_risk.owner_user_id)",
            "'Average Deal Risk: ' || " ~ alert_number('rep_risk.avg_risk') ~ " || ' (Team Avg: ' || "
                ~ alert_number('team_risk.team_avg_risk') ~ " || ')'",
            "'Pipeline: ' || " ~ alert_number('rep_risk.open_deal_count') ~ " || ' deals, ' || "
                ~ alert_money('rep_risk.open_amount'),
        ]) }} as details,
        {{ alert_lines([
            "case when rep_risk.weak_source_share > 0 then 'Poor lead qualification (' || "
                ~ alert_percent('rep_risk.weak_source_share') ~ " || ' of deals from low-win-rate sources)' end",
            "'Slow deal progression (avg velocity: ' || " ~ alert_number('rep_risk.avg_velocity', 2)
                ~ " || ' stages per 30 days)'",
            "case when rep_risk.stalled_deal_count > 0 then " ~ alert_number('rep_risk.stalled_deal_count')
                ~ " || ' stalled deals' end",
        ]) }} as factors,
        {{ alert_lines([
            "'Review qualification criteria'",
            "'Provide discovery call coaching'",
            "'Consider territory adjustment'",
        ]) }} as suggested_actions,
        rep_risk.avg_risk as metric_value,
        team_risk.team_avg_risk * (1 + {{ var('alert_rep_risk_above_team') }}) as threshold_value,
        rep_risk.manager_user_id as owner_user_id,
        managers.full_name as owner_name,
        rep_risk.manager_slack_user_id as owner_slack_user_id,
        cast(null as {{ dbt.type_string() }}) as cc_slack_user_id,
        cast(run_date.as_of_date as {{ dbt.type_string() }}) as window_key
    from rep_risk
    cross join run_date
    inner join team_risk
        on rep_risk.team_name = team_risk.team_name
    left join crm_users as managers
        on rep_risk.manager_user_id = managers.user_id
    where
        rep_risk.open_deal_count >= {{ var('alert_rep_min_open_deals') }}
        and rep_risk.avg_risk > team_risk.team_avg_risk * (1 + {{ var('alert_rep_risk_above_team') }})
),

latest_health_date as (
    select max(pipeline_health.as_of_date) as as_of_date
    from pipeline_health
    cross join run_date
    where pipeline_health.as_of_date <= run_date.as_of_date
),

latest_health as (
    select pipeline_health.*
    from pipeline_health
    inner join latest_health_date
        on pipeline_health.as_of_date = latest_health_date.as_of_date
),

low_pipeline_health as (
    select
        'pipeline_health' as alert_type,
        'segment' as entity_type,
        segment as entity_id,
        segment as entity_name,
        case
            when pipeline_health_index < {{ var('alert_pipeline_health_critical') }} then 'critical' else 'high'
        end as severity,
        'Pipeline Health Index: ' || {{ alert_number('pipeline_health_index') }} || '/100'
        || case when segment = 'all' then '' else ' (' || segment || ')' end as title,
        {{ alert_lines([
            "'Current Index: ' || " ~ alert_number('pipeline_health_index') ~ " || '/100'
                || coalesce(' (was ' || " ~ alert_number('pipeline_health_index_4_weeks_ago') ~ " || ' four weeks ago)', '')",
            "'Open pipeline: ' || " ~ alert_number('open_deals') ~ " || ' deals, ' || " ~ alert_money('open_pipeline_amount'),
        ]) }} as details,
        {{ alert_lines([
            "'Win rate: ' || " ~ alert_percent('win_rate_90d') ~ " || ' (90 days)'",
            "'Avg deal size: ' || " ~ alert_money('avg_won_amount'),
            "'Sales cycle: ' || " ~ alert_number('sales_cycle_days_90d') ~ " || ' days (baseline ' || "
                ~ alert_number('sales_cycle_days_baseline') ~ " || ' days)'",
            "'Coverage: ' || " ~ alert_number('coverage_ratio', 1) ~ " || 'x (target " ~ var('pipeline_coverage_target') ~ "x)'",
        ]) }} as factors,
        {{ alert_lines([
            "'Strategic pipeline review meeting'",
            "'Assess market conditions'",
            "'Review sales process effectiveness'",
        ]) }} as suggested_actions,
        pipeline_health_index as metric_value,
        cast({{ health_threshold }} as {{ dbt.type_float() }}) as threshold_value,
        cast(null as {{ dbt.type_string() }}) as owner_user_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        cast(null as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(null as {{ dbt.type_string() }}) as cc_slack_user_id,
        cast(as_of_date as {{ dbt.type_string() }}) as window_key
    from latest_health
    where pipeline_health_index < {{ health_threshold }}
),

unioned as (
    select * from high_risk_deal
    union all
    select * from win_rate_decline
    union all
    select * from rep_performance
    union all
    select * from low_pipeline_health
),

final as (
    select
        unioned.alert_type,
        unioned.entity_type,
        unioned.entity_id,
        unioned.entity_name,
        unioned.severity,
        unioned.title,
        unioned.details,
        unioned.factors,
        unioned.suggested_actions,
        unioned.metric_value,
        unioned.threshold_value,
        unioned.owner_user_id,
        unioned.owner_name,
        unioned.owner_slack_user_id,
        unioned.cc_slack_user_id,
        unioned.window_key,
        run_date.as_of_date
    from unioned
    cross join run_date
)

select * from final
