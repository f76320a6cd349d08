{#-
    Open deals at the run's as-of date with the indicators a deal-risk alert names: stalled,
    slow against the stage norm or the segment's sales cycle, weak rep or lead source,
    competitor, expected close date passed. Owners resolved from the CRM.
-#}

with

run_date as (
    {{ run_as_of_date() }}
),

opportunity_features as (
    select * from {{ ref('opportunity_features') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

users as (
    select * from {{ ref('int_crm_users_with_managers') }}
),

latest_open_deals as (
    select opportunity_features.*
    from opportunity_features
    inner join run_date
        on opportunity_features.as_of_date = run_date.as_of_date
),

indicators as (
    select
        latest_open_deals.*,
        opportunities.account_id,
        opportunities.expected_close_date,
        coalesce(latest_open_deals.days_in_stage_vs_norm > 1.5, false) as is_slow_in_stage,
        coalesce(latest_open_deals.age_vs_segment_cycle > 1.25, false) as is_older_than_segment_cycle,
        coalesce(latest_open_deals.owner_win_rate < 0.8 * latest_open_deals.overall_win_rate, false)
            as has_weak_owner_win_rate,
        coalesce(latest_open_deals.lead_source_win_rate < 0.8 * latest_open_deals.overall_win_rate, false)
            as has_weak_lead_source,
        coalesce(opportunities.expected_close_date < latest_open_deals.as_of_date, false)
            as is_past_expected_close
    from latest_open_deals
    left join opportunities
        on latest_open_deals.opportunity_id = opportunities.opportunity_id
),

final as (
    select
        indicators.opportunity_id,
        indicators.as_of_date,
        cast(indicators.account_id as {{ dbt.type_string() }}) as account_id,
        cast(accounts.account_name as {{ dbt.type_string() }}) as account_name,
        indicators.segment,
        indicators.stage_name,
        indicators.amount,
        indicators.age_days,
        indicators.days_in_stage,
        indicators.deal_velocity,
        indicators.days_in_stage_vs_norm,
        indicators.age_vs_segment_cycle,
        indicators.owner_win_rate,
        indicators.lead_source,
        indicators.lead_source_win_rate,
        indicators.segment_win_rate,
        indicators.has_competitor,
        indicators.expected_close_date,
        indicators.is_stalled,
        indicators.is_slow_in_stage,
        indicators.is_older_than_segment_cycle,
        indicators.has_weak_owner_win_rate,
        indicators.has_weak_lead_source,
        indicators.is_past_expected_close,
        cast(
            case when indicators.is_stalled then 1 else 0 end
            + case when indicators.is_slow_in_stage then 1 else 0 end
            + case when indicators.is_older_than_segment_cycle then 1 else 0 end
            + case when indicators.has_weak_owner_win_rate then 1 else 0 end
            + case when indicators.has_weak_lead_source then 1 else 0 end
            + case when indicators.has_competitor then 1 else 0 end
            + case when indicators.is_past_expected_close then 1 else 0 end
            as {{ dbt.type_int() }}
        ) as risk_indicator_count,
        cast(indicators.owner_user_id as {{ dbt.type_string() }}) as owner_user_id,
        cast(owner_user.full_name as {{ dbt.type_string() }}) as owner_name,
        cast(owner_user.slack_user_id as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(owner_user.manager_user_id as {{ dbt.type_string() }}) as manager_user_id,
        cast(owner_user.manager_slack_user_id as {{ dbt.type_string() }}) as manager_slack_user_id
    from indicators
    left join accounts
        on indicators.account_id = accounts.account_id
    left join users as owner_user
        on indicators.owner_user_id = owner_user.user_id
)

select * from final
