{#-
    Each rep's closed deals per quarter of closing against the team (all reps) in the same
    quarter: win rate, average deal age at close, and the share of deals that stalled
    (more than `stalled_stage_days` in one open stage) on their way.
-#}

with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

stage_durations as (
    select * from {{ ref('int_opportunity_stage_durations') }}
),

users as (
    select * from {{ ref('int_crm_users_with_managers') }}
),

run_date as (
    {{ run_as_of_date() }}
),

longest_open_stage as (
    select
        opportunity_id,
        max(duration_days) as longest_stage_days
    from stage_durations
    where not is_closed_stage
    group by opportunity_id
),

closed_deals as (
    select
        opportunities.owner_user_id,
        cast({{ dbt.date_trunc('quarter', 'opportunities.closed_at') }} as date) as quarter_start_date,
        opportunities.is_won,
        opportunities.amount,
        opportunities.sales_cycle_days,
        coalesce(longest_open_stage.longest_stage_days > {{ var('stalled_stage_days') }}, false) as was_stalled
    from opportunities
    cross join run_date
    left join longest_open_stage
        on opportunities.opportunity_id = longest_open_stage.opportunity_id
    where
        opportunities.closed_at is not null
        and opportunities.closed_at < run_date.as_of_date
        and opportunities.owner_user_id is not null
),

rep_quarters as (
    select
        owner_user_id,
        quarter_start_date,
        count(*) as closed_deals,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_won then amount else 0 end) as won_amount,
        avg(sales_cycle_days) as avg_deal_age_days,
        avg(cast(case when was_stalled then 1 else 0 end as {{ dbt.type_float() }})) as stalled_deal_share
    from closed_deals
    group by owner_user_id, quarter_start_date
),

team_quarters as (
    select
        quarter_start_date,
        {{ safe_ratio('sum(case when is_won then 1 else 0 end)', 'count(*)') }} as team_win_rate,
        avg(sales_cycle_days) as team_avg_deal_age_days,
        avg(cast(case when was_stalled then 1 else 0 end as {{ dbt.type_float() }})) as team_stalled_deal_share
    from closed_deals
    group by quarter_start_date
),

final as (
    select
        cast(rep_quarters.owner_user_id as {{ dbt.type_string() }}) as owner_user_id,
        rep_quarters.quarter_start_date,
        cast(rep_user.full_name as {{ dbt.type_string() }}) as owner_name,
        cast(rep_user.slack_user_id as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(rep_user.manager_user_id as {{ dbt.type_string() }}) as manager_user_id,
        cast(rep_user.manager_slack_user_id as {{ dbt.type_string() }}) as manager_slack_user_id,
        cast(rep_quarters.closed_deals as {{ dbt.type_int() }}) as closed_deals,
        cast(rep_quarters.won_deals as {{ dbt.type_int() }}) as won_deals,
        cast(rep_quarters.won_amount as {{ dbt.type_float() }}) as won_amount,
        cast({{ safe_ratio('rep_quarters.won_deals', 'rep_quarters.closed_deals') }} as {{ dbt.type_float() }})
            as win_rate,
        cast(rep_quarters.avg_deal_age_days as {{ dbt.type_float() }}) as avg_deal_age_days,
        cast(rep_quarters.stalled_deal_share as {{ dbt.type_float() }}) as stalled_deal_share,
        cast(team_quarters.team_win_rate as {{ dbt.type_float() }}) as team_win_rate,
        cast(team_quarters.team_avg_deal_age_days as {{ dbt.type_float() }}) as team_avg_deal_age_days,
        cast(team_quarters.team_stalled_deal_share as {{ dbt.type_float() }}) as team_stalled_deal_share,
        cast(
            100.0
            * (
                {{ safe_ratio('rep_quarters.won_deals', 'rep_quarters.closed_deals') }}
                - team_quarters.team_win_rate
            )
            as {{ dbt.type_float() }}
        ) as win_rate_vs_team_points,
        cast(
            {{ safe_ratio('rep_quarters.avg_deal_age_days', 'team_quarters.team_avg_deal_age_days') }} - 1
            as {{ dbt.type_float() }}
        ) as deal_age_vs_team_pct,
        cast(
            100.0 * (rep_quarters.stalled_deal_share - team_quarters.team_stalled_deal_share) as {{ dbt.type_float() }}
        ) as stalled_share_vs_team_points
    from rep_quarters
    inner join team_quarters
        on rep_quarters.quarter_start_date = team_quarters.quarter_start_date
    left join users as rep_user
        on rep_quarters.owner_user_id = rep_user.user_id
)

select * from final
