with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

stage_durations as (
    select * from {{ ref('int_opportunity_stage_durations') }}
),

history_bounds as (
    select
        opportunity_id,
        min(entered_at) as first_stage_at,
        min(case when is_closed_stage then entered_at end) as history_closed_at
    from stage_durations
    group by opportunity_id
),

enriched as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_user_id,
        coalesce(accounts.segment, 'unknown') as segment,
        opportunities.opportunity_type,
        coalesce(opportunities.lead_source, 'unknown') as lead_source,
        opportunities.stage_name as current_stage_name,
        cast(case when opportunities.amount >= 0 then opportunities.amount end as {{ dbt.type_float() }}) as amount,
        opportunities.competitor is not null as has_competitor,
        opportunities.is_closed,
        opportunities.is_won,
        {#- The earlier of the record's creation and its first stage change opens the deal. -#}
        case
            when history_bounds.first_stage_at < opportunities.created_at then history_bounds.first_stage_at
            else coalesce(opportunities.created_at, history_bounds.first_stage_at)
        end as opened_at,
        case
            when opportunities.is_closed
                then coalesce(opportunities.closed_at, history_bounds.history_closed_at)
        end as closed_at,
        opportunities.close_date
    from opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join history_bounds
        on opportunities.opportunity_id = history_bounds.opportunity_id
    where not opportunities.is_future_dated
),

final as (
    select
        opportunity_id,
        account_id,
        owner_user_id,
        segment,
        opportunity_type,
        lead_source,
        current_stage_name,
        amount,
        has_competitor,
        is_closed,
        is_won,
        opened_at,
        closed_at,
        cast(closed_at as date) as closed_date,
        close_date as expected_close_date,
        case when closed_at is not null then {{ days_between('opened_at', 'closed_at') }} end as sales_cycle_days
    from enriched
)

select * from final
