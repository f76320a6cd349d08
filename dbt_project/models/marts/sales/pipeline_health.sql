{#-
    The pipeline health index (0-100) per as-of date and segment, plus an `all` row: four
    factors scored 0-1 and weighted by var `pipeline_health_weights` -
    coverage (open pipeline against `pipeline_coverage_target` x the last 90 days' won
    amount), stage distribution (spread of open deals over the four open stages), win rate
    (last 90 days against `pipeline_target_win_rate`) and velocity (the year's sales cycle
    against the last 90 days'). A factor without data scores a neutral 0.5.
-#}
{%- set weights = var('pipeline_health_weights') %}
{%- set open_stages = ['prospecting', 'qualification', 'proposal', 'negotiation'] %}

with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

open_deals as (
    select * from {{ ref('opportunity_features') }}
),

win_rates as (
    select * from {{ ref('int_deal_win_rates_as_of') }}
),

segments as (
    select distinct segment from opportunities
    union all
    select 'all' as segment
),

date_segments as (
    select
        as_of_dates.as_of_date,
        segments.segment
    from as_of_dates
    cross join segments
),

open_deals_by_segment as (
    select
        as_of_date,
        segment,
        stage_name,
        amount
    from open_deals
    union all
    select
        as_of_date,
        'all' as segment,
        stage_name,
        amount
    from open_deals
),

pipeline as (
    select
        as_of_date,
        segment,
        count(*) as open_deals,
        sum(coalesce(amount, 0)) as open_pipeline_amount,
        avg(amount) as avg_open_deal_amount,
        sum(case when stage_name = 'prospecting' then 1 else 0 end) as prospecting_deals,
        sum(case when stage_name = 'qualification' then 1 else 0 end) as qualification_deals,
        sum(case when stage_name = 'proposal' then 1 else 0 end) as proposal_deals,
        sum(case when stage_name = 'negotiation' then 1 else 0 end) as negotiation_deals
    from open_deals_by_segment
    group by as_of_date, segment
),

factors as (
    select
        date_segments.as_of_date,
        date_segments.segment,
        coalesce(pipeline.open_deals, 0) as open_deals,
        coalesce(pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        pipeline.avg_open_deal_amount,
        {%- for stage in open_stages %}
            coalesce({{ safe_ratio('pipeline.' ~ stage ~ '_deals', 'pipeline.open_deals') }}, 0)
                as {{ stage }}_share,
        {%- endfor %}
        win_rates.won_amount_90d,
        win_rates.win_rate_90d,
        win_rates.closed_deals_90d,
        win_rates.avg_won_amount,
        win_rates.avg_won_cycle_days_90d as sales_cycle_days_90d,
        win_rates.avg_won_cycle_days as sales_cycle_days_baseline,
        {{ safe_ratio('pipeline.open_pipeline_amount', 'win_rates.won_amount_90d') }} as coverage_ratio
    from date_segments
    left join pipeline
        on
            date_segments.as_of_date = pipeline.as_of_date
            and date_segments.segment = pipeline.segment
    left join win_rates
        on
            date_segments.as_of_date = win_rates.as_of_date
            and win_rates.dimension_name = case when date_segments.segment = 'all' then 'all' else 'segment' end
            and date_segments.segment = win_rates.dimension_value
),

scored as (
    select
        factors.*,
        case
            when factors.open_deals = 0 then 0.0
            when factors.won_amount_90d is null or factors.won_amount_90d = 0 then 0.5
            else {{ b2b_clamp_unit('coverage_ratio / ' ~ var('pipeline_coverage_target')) }}
        end as coverage_score,
        {#- Normalised entropy of the open deals over the open stages: 1 = evenly spread. -#}
        
        (
            {%- for stage in open_stages %}
                case when {{ stage }}_share > 0 then -{{ stage }}_share * ln({{ stage }}_share) else 0 end
                {{- ' +' if not loop.last }}
            {%- endfor %}
        ) / ln({{ open_stages | length }}.0) as distribution_score,
        coalesce({{ b2b_clamp_unit('win_rate_90d / ' ~ var('pipeline_target_win_rate')) }}, 0.5) as win_rate_score,
        coalesce({{ b2b_clamp_unit(safe_ratio('sales_cycle_days_baseline', 'sales_cycle_days_90d')) }}, 0.5)
            as velocity_score
    from factors
),

indexed as (
    select
        scored.*,
        100.0 * (
            {{ weights.coverage }} * scored.coverage_score
            + {{ weights.distribution }} * scored.distribution_score
            + {{ weights.win_rate }} * scored.win_rate_score
            + {{ weights.velocity }} * scored.velocity_score
        ) / {{ weights.values() | sum }} as pipeline_health_index
    from scored
),

final as (
    select
        as_of_date,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(open_pipeline_amount as {{ dbt.type_float() }}) as open_pipeline_amount,
        cast(avg_open_deal_amount as {{ dbt.type_float() }}) as avg_open_deal_amount,
        {%- for stage in open_stages %}
            cast({{ stage }}_share as {{ dbt.type_float() }}) as {{ stage }}_share,
        {%- endfor %}
        cast(won_amount_90d as {{ dbt.type_float() }}) as won_amount_90d,
        cast(coverage_ratio as {{ dbt.type_float() }}) as coverage_ratio,
        cast(win_rate_90d as {{ dbt.type_float() }}) as win_rate_90d,
        cast(coalesce(closed_deals_90d, 0) as {{ dbt.type_int() }}) as closed_deals_90d,
        cast(avg_won_amount as {{ dbt.type_float() }}) as avg_won_amount,
        cast(sales_cycle_days_90d as {{ dbt.type_float() }}) as sales_cycle_days_90d,
        cast(sales_cycle_days_baseline as {{ dbt.type_float() }}) as sales_cycle_days_baseline,
        cast(coverage_score as {{ dbt.type_float() }}) as coverage_score,
        cast(distribution_score as {{ dbt.type_float() }}) as distribution_score,
        cast(win_rate_score as {{ dbt.type_float() }}) as win_rate_score,
        cast(velocity_score as {{ dbt.type_float() }}) as velocity_score,
        cast(pipeline_health_index as {{ dbt.type_float() }}) as pipeline_health_index,
        cast(
            lag(pipeline_health_index, 4) over (partition by segment order by as_of_date) as {{ dbt.type_float() }}
        ) as pipeline_health_index_4_weeks_ago
    from indexed
)

select * from final
