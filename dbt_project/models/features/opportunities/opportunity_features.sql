{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        post_hook="{{ prune_dates_outside_spine() }}",
        on_schema_change='append_new_columns',
    )
}}

with

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

stage_durations as (
    select * from {{ ref('int_opportunity_stage_durations') }}
),

win_rates as (
    select * from {{ ref('int_deal_win_rates_as_of') }}
),

open_deal_spine as (
    {#- Deals opened before the as-of date and not closed before it. -#}
    select
        opportunities.opportunity_id,
        as_of_dates.as_of_date,
        opportunities.owner_user_id,
        opportunities.segment,
        opportunities.lead_source,
        opportunities.opportunity_type,
        opportunities.has_competitor,
        opportunities.amount as current_amount,
        opportunities.opened_at
    from opportunities
    inner join as_of_dates
        on
            opportunities.opened_at < as_of_dates.as_of_date
            and (opportunities.closed_at is null or opportunities.closed_at >= as_of_dates.as_of_date)
),

visits_before_as_of as (
    select
        open_deal_spine.opportunity_id,
        open_deal_spine.as_of_date,
        stage_durations.stage_name,
        stage_durations.stage_rank,
        stage_durations.amount,
        stage_durations.entered_at,
        row_number() over (
            partition by open_deal_spine.opportunity_id, open_deal_spine.as_of_date
            order by stage_durations.entered_at desc, stage_durations.visit_number desc
        ) as recency_rank,
        count(*) over (
            partition by open_deal_spine.opportunity_id, open_deal_spine.as_of_date
        ) as stage_changes
    from open_deal_spine
    inner join stage_durations
        on
            open_deal_spine.opportunity_id = stage_durations.opportunity_id
            and open_deal_spine.as_of_date > stage_durations.entered_at
),

stage_at_as_of as (
    select *
    from visits_before_as_of
    {#- A deal whose close is recorded in history before the date is not open. #}
    where
        recency_rank = 1
        and stage_rank < 5
),

stage_norms as (
    {#- Typical days in each stage, from visits completed before the as-of date. -#}
    select
        as_of_dates.as_of_date,
        stage_durations.stage_name,
        avg(stage_durations.duration_days) as norm_stage_days
    from as_of_dates
    inner join stage_durations
        on
            as_of_dates.as_of_date > stage_durations.exited_at
            and stage_durations.exited_at
            >= {{ days_before('as_of_dates.as_of_date', var('win_rate_lookback_days')) }}
    where not stage_durations.is_closed_stage
    group by as_of_dates.as_of_date, stage_durations.stage_name
),

closed_deal_reach as (
    {#-
        Each closed deal with the furthest open stage it reached before closing (prospecting
        without history). Visits recorded after the close are ignored: the deal closed before
        the as-of dates that count it, so later rows must not change what was known then.
    -#}
    select
        opportunities.opportunity_id,
        opportunities.is_won,
        opportunities.closed_at,
        coalesce(
            max(case when not stage_durations.is_closed_stage then stage_durations.stage_rank end), 1
        ) as furthest_stage_rank
    from opportunities
    left join stage_durations
        on
            opportunities.opportunity_id = stage_durations.opportunity_id
            and opportunities.closed_at >= stage_durations.entered_at
    where opportunities.closed_at is not null
    group by opportunities.opportunity_id, opportunities.is_won, opportunities.closed_at
),

open_stage_ranks as (
    {%- for rank in range(1, 5) %}
        select {{ rank }} as stage_rank{{ ' union all' if not loop.last }}
    {%- endfor %}
),

stage_win_rates as (
    {#-
        The win rate from each open stage as known at the as-of date: deals closed before it,
        within the win-rate lookback, that had reached the stage (or a later one).
    -#}
    select
        as_of_dates.as_of_date,
        open_stage_ranks.stage_rank,
        count(*) as closed_deals,
        sum(case when closed_deal_reach.is_won then 1 else 0 end) as won_deals
    from as_of_dates
    inner join closed_deal_reach
        on
            as_of_dates.as_of_date > closed_deal_reach.closed_at
            and closed_deal_reach.closed_at
            >= {{ days_before('as_of_dates.as_of_date', var('win_rate_lookback_days')) }}
    inner join open_stage_ranks
        on closed_deal_reach.furthest_stage_rank >= open_stage_ranks.stage_rank
    group by as_of_dates.as_of_date, open_stage_ranks.stage_rank
),

deal_state as (
    select
        open_deal_spine.opportunity_id,
        open_deal_spine.as_of_date,
        open_deal_spine.owner_user_id,
        open_deal_spine.segment,
        open_deal_spine.lead_source,
        open_deal_spine.opportunity_type,
        open_deal_spine.has_competitor,
        coalesce(stage_at_as_of.amount, open_deal_spine.current_amount) as amount,
        coalesce(stage_at_as_of.stage_name, 'prospecting') as stage_name,
        coalesce(stage_at_as_of.stage_rank, 1) as stage_rank,
        coalesce(stage_at_as_of.stage_changes, 0) as stage_changes,
        {{ days_between('open_deal_spine.opened_at', 'open_deal_spine.as_of_date') }} as age_days,
        {{ days_between(
            'coalesce(stage_at_as_of.entered_at, open_deal_spine.opened_at)', 'open_deal_spine.as_of_date'
        ) }} as days_in_stage
    from open_deal_spine
    left join visits_before_as_of as any_visit
        on
            open_deal_spine.opportunity_id = any_visit.opportunity_id
            and open_deal_spine.as_of_date = any_visit.as_of_date
            and any_visit.recency_rank = 1
    left join stage_at_as_of
        on
            open_deal_spine.opportunity_id = stage_at_as_of.opportunity_id
            and open_deal_spine.as_of_date = stage_at_as_of.as_of_date
    where coalesce(any_visit.stage_rank, 1) < 5
),

final as (
    select
        deal_state.opportunity_id,
        deal_state.as_of_date,
        deal_state.owner_user_id,
        cast(deal_state.segment as {{ dbt.type_string() }}) as segment,
        cast(deal_state.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(deal_state.opportunity_type as {{ dbt.type_string() }}) as opportunity_type,
        cast(deal_state.stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(deal_state.stage_rank as {{ dbt.type_int() }}) as stage_rank,
        cast(deal_state.amount as {{ dbt.type_float() }}) as amount,
        deal_state.has_competitor,
        cast(deal_state.age_days as {{ dbt.type_int() }}) as age_days,
        cast(deal_state.days_in_stage as {{ dbt.type_int() }}) as days_in_stage,
        cast(deal_state.stage_changes as {{ dbt.type_int() }}) as stage_changes,
        {#- Stages advanced per 30 days open. -#}
        cast((deal_state.stage_rank - 1) * 30.0 / greatest(deal_state.age_days, 1) as {{ dbt.type_float() }})
            as deal_velocity,
        stage_norms.norm_stage_days,
        {{ safe_ratio('deal_state.days_in_stage', 'stage_norms.norm_stage_days') }} as days_in_stage_vs_norm,
        deal_state.days_in_stage > {{ var('stalled_stage_days') }} as is_stalled,
        {{ safe_ratio('deal_state.age_days', 'segment_rates.avg_won_cycle_days') }} as age_vs_segment_cycle,
        segment_rates.win_rate as segment_win_rate,
        cast(coalesce(segment_rates.closed_deals, 0) as {{ dbt.type_int() }}) as segment_closed_deals,
        owner_rates.win_rate as owner_win_rate,
        cast(coalesce(owner_rates.closed_deals, 0) as {{ dbt.type_int() }}) as owner_closed_deals,
        source_rates.win_rate as lead_source_win_rate,
        cast(coalesce(source_rates.closed_deals, 0) as {{ dbt.type_int() }}) as lead_source_closed_deals,
        overall_rates.win_rate as overall_win_rate,
        {{ safe_ratio('stage_rates.won_deals', 'stage_rates.closed_deals') }} as stage_win_rate,
        cast(coalesce(stage_rates.closed_deals, 0) as {{ dbt.type_int() }}) as stage_closed_deals
    from deal_state
    left join stage_norms
        on
            deal_state.as_of_date = stage_norms.as_of_date
            and deal_state.stage_name = stage_norms.stage_name
    left join win_rates as segment_rates
        on
            deal_state.as_of_date = segment_rates.as_of_date
            and segment_rates.dimension_name = 'segment'
            and deal_state.segment = segment_rates.dimension_value
    left join win_rates as owner_rates
        on
            deal_state.as_of_date = owner_rates.as_of_date
            and owner_rates.dimension_name = 'owner'
            and deal_state.owner_user_id = owner_rates.dimension_value
    left join win_rates as source_rates
        on
            deal_state.as_of_date = source_rates.as_of_date
            and source_rates.dimension_name = 'lead_source'
            and deal_state.lead_source = source_rates.dimension_value
    left join win_rates as overall_rates
        on
            deal_state.as_of_date = overall_rates.as_of_date
            and overall_rates.dimension_name = 'all'
    left join stage_win_rates as stage_rates
        on
            deal_state.as_of_date = stage_rates.as_of_date
            and deal_state.stage_rank = stage_rates.stage_rank
)

select * from final
