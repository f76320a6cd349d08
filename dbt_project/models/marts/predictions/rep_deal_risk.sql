{#-
    Each rep's open deals at the run's as-of date with the deal-risk model's scores, against
    their team (the reps of the same CRM team; `all` for reps without one): the open-deal risk
    a rep-performance review starts from, for BI and the rep_performance alert.
-#}

with

open_deals as (
    select * from {{ ref('opportunity_pipeline') }}
),

deal_scores as (
    select * from {{ ref('deal_risk_scores') }}
),

users as (
    select * from {{ ref('int_crm_users_with_managers') }}
),

scored_deals as (
    select
        open_deals.owner_user_id,
        open_deals.as_of_date,
        open_deals.amount,
        open_deals.deal_velocity,
        open_deals.has_weak_lead_source,
        open_deals.is_stalled,
        deal_scores.risk_score,
        coalesce(users.team_name, 'all') as team_name
    from open_deals
    inner join deal_scores
        on open_deals.opportunity_id = deal_scores.opportunity_id
    left join users
        on open_deals.owner_user_id = users.user_id
    where open_deals.owner_user_id is not null
),

team_risk as (
    select
        team_name,
        avg(risk_score) as team_avg_risk_score
    from scored_deals
    group by team_name
),

rep_risk as (
    select
        owner_user_id,
        team_name,
        max(as_of_date) as as_of_date,
        count(*) as open_deal_count,
        sum(amount) as open_amount,
        avg(risk_score) as avg_risk_score,
        avg(deal_velocity) as avg_deal_velocity,
        avg(case when has_weak_lead_source then 1.0 else 0.0 end) as weak_lead_source_share,
        sum(case when is_stalled then 1 else 0 end) as stalled_deal_count
    from scored_deals
    group by owner_user_id, team_name
),

final as (
    select
        cast(rep_risk.owner_user_id as {{ dbt.type_string() }}) as owner_user_id,
        rep_risk.as_of_date,
        cast(users.full_name as {{ dbt.type_string() }}) as owner_name,
        cast(rep_risk.team_name as {{ dbt.type_string() }}) as team_name,
        cast(users.manager_user_id as {{ dbt.type_string() }}) as manager_user_id,
        cast(users.manager_name as {{ dbt.type_string() }}) as manager_name,
        cast(users.manager_slack_user_id as {{ dbt.type_string() }}) as manager_slack_user_id,
        cast(rep_risk.open_deal_count as {{ dbt.type_int() }}) as open_deal_count,
        cast(rep_risk.open_amount as {{ dbt.type_float() }}) as open_amount,
        cast(rep_risk.avg_risk_score as {{ dbt.type_float() }}) as avg_risk_score,
        cast(team_risk.team_avg_risk_score as {{ dbt.type_float() }}) as team_avg_risk_score,
        cast(
            {{ safe_ratio('rep_risk.avg_risk_score', 'team_risk.team_avg_risk_score') }} - 1 as {{ dbt.type_float() }}
        ) as risk_vs_team_pct,
        cast(rep_risk.avg_deal_velocity as {{ dbt.type_float() }}) as avg_deal_velocity,
        cast(rep_risk.weak_lead_source_share as {{ dbt.type_float() }}) as weak_lead_source_share,
        cast(rep_risk.stalled_deal_count as {{ dbt.type_int() }}) as stalled_deal_count
    from rep_risk
    inner join team_risk
        on rep_risk.team_name = team_risk.team_name
    left join users
        on rep_risk.owner_user_id = users.user_id
)

select * from final
