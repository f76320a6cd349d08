{#-
    Expected closed-won revenue per calendar month for the next var `forecast_months` months
    (month 0: the rest of the as-of date's month), per as-of date and segment (plus `all`), with
    an interval. Two independent parts:
    - the open pipeline: each open deal wins with probability p (the deal-risk model's 1 - risk
      when it scored the deal at that date, else the share of deals open in the same stage at
      reference dates - at least `horizon` days back - that were won) and, when won, closes in
      month m with the share G(stage, m) of those wins that closed in the month's days after
      the reference date. A deal closes in at most one month: Bernoulli(p G) per deal and month, so the
      variance is the sum of amount^2 p G (1 - p G);
    - new business (deals not yet open): past reference dates' wins from deals opened after
      them, by days to close; a compound Poisson with their mean count and amounts per date.
    Only data known at the as-of date counts (reference windows end before it). The interval
    is the normal one at z = var `forecast_interval_z`, floored at 0. `realised_won_amount` is
    what was won in the month once it has ended before the run's as-of date (backtests).
-#}
{%- set months = var('forecast_months') %}
{%- set horizon_days = months * 31 %}
{%- set z = var('forecast_interval_z') %}
{%- set min_wins = var('forecast_min_reference_wins') %}

with

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

run_date as (
    {{ run_as_of_date() }}
),

open_deals as (
    select * from {{ ref('opportunity_features') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

deal_scores as (
    select * from {{ ref('deal_risk_scores') }}
),

crm_data_end as (
    {#- The last day the CRM shows activity on (before the run's as-of date): realised revenue
        counts only months that ended by then, so a source that stopped is not a month of 0. -#}
    select max(activity.activity_date) as last_activity_date
    from (
        select cast(opportunities.opened_at as date) as activity_date
        from opportunities
        union all
        select opportunities.closed_date as activity_date
        from opportunities
    ) as activity
    cross join run_date
    where activity.activity_date < run_date.as_of_date
),

month_offsets as (
    select month_offset
    from {{ integer_series(0, months - 1, 'month_offset') }}
),

won_deals as (
    select
        opportunity_id,
        segment,
        amount,
        opened_at,
        closed_date
    from opportunities
    where is_won and closed_date is not null and amount is not null
),

forecast_months as (
    select
        as_of_dates.as_of_date,
        month_offsets.month_offset,
        {%- set as_of_month = dbt.date_trunc('month', 'as_of_dates.as_of_date') %}
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset', as_of_month) }} as date) as forecast_month,
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset + 1', as_of_month) }} as date) as next_month
    from as_of_dates
    cross join month_offsets
),

forecast_windows as (
    {#- The days after the as-of date (0 = the date itself) that each month covers. -#}
    select
        as_of_date,
        month_offset,
        forecast_month,
        greatest(0, {{ days_between('as_of_date', 'forecast_month') }}) as first_day,
        {{ days_between('as_of_date', 'next_month') }} - 1 as last_day
    from forecast_months
),

reference_dates as (
    {#- Past as-of dates whose whole horizon had passed by the as-of date. -#}
    select
        as_of_dates.as_of_date,
        reference.as_of_date as reference_date
    from as_of_dates
    inner join as_of_dates as reference
        on reference.as_of_date <= {{ days_before('as_of_dates.as_of_date', horizon_days) }}
),

reference_date_counts as (
    select
        as_of_date,
        count(*) as reference_dates
    from reference_dates
    group by as_of_date
),

reference_open_deals as (
    {#- Deals open at a reference date, with their stage then and whether they were won (by the
        as-of date), and when. The pool keeps the stale deals: a stage's win share is what deals
        sitting in it went on to do, not the win rate of deals that passed through it. -#}
    select
        reference_dates.as_of_date,
        open_deals.segment,
        open_deals.stage_name,
        coalesce(won_deals.closed_date < reference_dates.as_of_date, false) as is_won,
        case
            when won_deals.closed_date < reference_dates.as_of_date
                then {{ days_between('open_deals.as_of_date', 'won_deals.closed_date') }}
        end as days_to_close
    from reference_dates
    inner join open_deals
        on reference_dates.reference_date = open_deals.as_of_date
    left join won_deals
        on open_deals.opportunity_id = won_deals.opportunity_id
),

reference_open_deals_by_stage as (
    {#- Three levels: segment and stage, stage in any segment, any stage. -#}
    select
        as_of_date,
        segment,
        stage_name,
        is_won,
        days_to_close
    from reference_open_deals
    union all
    select
        as_of_date,
        'any' as segment,
        stage_name,
        is_won,
        days_to_close
    from reference_open_deals
    union all
    select
        as_of_date,
        'any' as segment,
        'any' as stage_name,
        is_won,
        days_to_close
    from reference_open_deals
),

stage_outcomes as (
    select
        as_of_date,
        segment,
        stage_name,
        count(*) as open_deals,
        sum(case when is_won then 1 else 0 end) as wins
    from reference_open_deals_by_stage
    group by as_of_date, segment, stage_name
),

reference_win_days as (
    {#- Wins by days to close: the windows below add up counts, not rows. -#}
    select
        as_of_date,
        segment,
        stage_name,
        days_to_close,
        count(*) as wins
    from reference_open_deals_by_stage
    where is_won
    group by as_of_date, segment, stage_name, days_to_close
),

stage_timing as (
    {#- G(stage, month): the share of a stage's wins that closed in the month's days. -#}
    select
        forecast_windows.as_of_date,
        forecast_windows.month_offset,
        stage_outcomes.segment,
        stage_outcomes.stage_name,
        {{ safe_ratio(
            'sum(case when reference_win_days.days_to_close between forecast_windows.first_day'
            ~ ' and forecast_windows.last_day then reference_win_days.wins else 0 end)',
            'max(stage_outcomes.wins)',
        ) }} as close_share
    from forecast_windows
    inner join stage_outcomes
        on forecast_windows.as_of_date = stage_outcomes.as_of_date
    inner join reference_win_days
        on
            stage_outcomes.as_of_date = reference_win_days.as_of_date
            and stage_outcomes.segment = reference_win_days.segment
            and stage_outcomes.stage_name = reference_win_days.stage_name
    group by
        forecast_windows.as_of_date,
        forecast_windows.month_offset,
        stage_outcomes.segment,
        stage_outcomes.stage_name
),

deal_reference_levels as (
    {#- Each open deal's reference: its segment and stage when they have enough wins, else its
        stage in any segment, else every open deal. -#}
    select
        open_deals.opportunity_id,
        open_deals.as_of_date,
        case
            when segment_stage.wins >= {{ min_wins }} then open_deals.segment
            else 'any'
        end as reference_segment,
        case
            when segment_stage.wins >= {{ min_wins }} or any_segment_stage.wins >= {{ min_wins }}
                then open_deals.stage_name
            else 'any'
        end as reference_stage
    from open_deals
    left join stage_outcomes as segment_stage
        on
            open_deals.as_of_date = segment_stage.as_of_date
            and open_deals.segment = segment_stage.segment
            and open_deals.stage_name = segment_stage.stage_name
    left join stage_outcomes as any_segment_stage
        on
            open_deals.as_of_date = any_segment_stage.as_of_date
            and any_segment_stage.segment = 'any'
            and open_deals.stage_name = any_segment_stage.stage_name
),

open_deal_probabilities as (
    select
        open_deals.as_of_date,
        open_deals.segment,
        deal_reference_levels.reference_segment,
        deal_reference_levels.reference_stage,
        coalesce(open_deals.amount, 0) as amount,
        deal_scores.risk_score is not null as is_model_scored,
        coalesce(
            1 - deal_scores.risk_score / 100.0,
            {{ safe_ratio('stage_outcomes.wins', 'stage_outcomes.open_deals') }},
            0
        ) as win_probability
    from open_deals
    inner join deal_reference_levels
        on
            open_deals.opportunity_id = deal_reference_levels.opportunity_id
            and open_deals.as_of_date = deal_reference_levels.as_of_date
    left join deal_scores
        on
            open_deals.opportunity_id = deal_scores.opportunity_id
            and open_deals.as_of_date = deal_scores.as_of_date
    left join stage_outcomes
        on
            open_deals.as_of_date = stage_outcomes.as_of_date
            and deal_reference_levels.reference_segment = stage_outcomes.segment
            and deal_reference_levels.reference_stage = stage_outcomes.stage_name
),

open_deal_sums as (
    select
        as_of_date,
        segment,
        reference_segment,
        reference_stage,
        count(*) as open_deals,
        sum(case when is_model_scored then 1 else 0 end) as model_scored_deals,
        sum(amount) as open_amount,
        sum(amount * win_probability) as amount_p,
        sum(amount * amount * win_probability) as amount_sq_p,
        sum(amount * amount * win_probability * win_probability) as amount_sq_p_sq
    from open_deal_probabilities
    group by as_of_date, segment, reference_segment, reference_stage
),

pipeline_months as (
    select
        open_deal_sums.as_of_date,
        forecast_windows.month_offset,
        open_deal_sums.segment,
        sum(open_deal_sums.amount_p * coalesce(stage_timing.close_share, 0)) as expected_amount,
        sum(
            open_deal_sums.amount_sq_p * coalesce(stage_timing.close_share, 0)
            - open_deal_sums.amount_sq_p_sq * coalesce(stage_timing.close_share, 0)
            * coalesce(stage_timing.close_share, 0)
        ) as variance
    from open_deal_sums
    inner join forecast_windows
        on open_deal_sums.as_of_date = forecast_windows.as_of_date
    left join stage_timing
        on
            open_deal_sums.as_of_date = stage_timing.as_of_date
            and forecast_windows.month_offset = stage_timing.month_offset
            and open_deal_sums.reference_segment = stage_timing.segment
            and open_deal_sums.reference_stage = stage_timing.stage_name
    group by open_deal_sums.as_of_date, forecast_windows.month_offset, open_deal_sums.segment
),

pipeline_totals as (
    select
        as_of_date,
        segment,
        sum(open_deals) as open_deals,
        sum(model_scored_deals) as model_scored_deals,
        sum(open_amount) as open_amount
    from open_deal_sums
    group by as_of_date, segment
),

new_business_wins as (
    {#- Per reference date: wins from deals opened on or after it within the horizon, by days. -#}
    select
        origins.as_of_date as reference_date,
        won_deals.segment,
        {{ days_between('origins.as_of_date', 'won_deals.closed_date') }} as days_to_close,
        sum(won_deals.amount) as amount,
        sum(won_deals.amount * won_deals.amount) as amount_squared
    from as_of_dates as origins
    inner join won_deals
        on
            origins.as_of_date <= won_deals.opened_at
            and {{ days_after('origins.as_of_date', horizon_days) }} >= won_deals.closed_date
    group by origins.as_of_date, won_deals.segment, won_deals.closed_date
),

new_business_months as (
    select
        forecast_windows.as_of_date,
        forecast_windows.month_offset,
        new_business_wins.segment,
        sum(new_business_wins.amount) / max(reference_date_counts.reference_dates) as expected_amount,
        {#- Compound Poisson: the variance is the rate times the mean squared amount. -#}
        sum(new_business_wins.amount_squared) / max(reference_date_counts.reference_dates) as variance
    from forecast_windows
    inner join reference_date_counts
        on forecast_windows.as_of_date = reference_date_counts.as_of_date
    inner join reference_dates
        on forecast_windows.as_of_date = reference_dates.as_of_date
    inner join new_business_wins
        on
            reference_dates.reference_date = new_business_wins.reference_date
            and new_business_wins.days_to_close between forecast_windows.first_day and forecast_windows.last_day
    group by forecast_windows.as_of_date, forecast_windows.month_offset, new_business_wins.segment
),

realised_months as (
    select
        forecast_windows.as_of_date,
        forecast_windows.month_offset,
        won_deals.segment,
        sum(won_deals.amount) as won_amount
    from forecast_windows
    inner join won_deals
        on
            won_deals.closed_date >= {{ days_after('forecast_windows.as_of_date', 'forecast_windows.first_day') }}
            and won_deals.closed_date <= {{ days_after('forecast_windows.as_of_date', 'forecast_windows.last_day') }}
    group by forecast_windows.as_of_date, forecast_windows.month_offset, won_deals.segment
),

segments as (
    select distinct segment from opportunities
),

segment_months as (
    select
        forecast_windows.as_of_date,
        forecast_windows.month_offset,
        forecast_windows.forecast_month,
        forecast_windows.last_day,
        segments.segment,
        coalesce(pipeline_months.expected_amount, 0) as pipeline_expected_amount,
        coalesce(pipeline_months.variance, 0) as pipeline_variance,
        coalesce(new_business_months.expected_amount, 0) as new_business_expected_amount,
        coalesce(new_business_months.variance, 0) as new_business_variance,
        coalesce(pipeline_totals.open_deals, 0) as open_deals,
        coalesce(pipeline_totals.model_scored_deals, 0) as model_scored_deals,
        coalesce(pipeline_totals.open_amount, 0) as open_amount,
        coalesce(realised_months.won_amount, 0) as realised_won_amount,
        reference_date_counts.reference_dates
    from forecast_windows
    inner join reference_date_counts
        on forecast_windows.as_of_date = reference_date_counts.as_of_date
    cross join segments
    left join pipeline_months
        on
            forecast_windows.as_of_date = pipeline_months.as_of_date
            and forecast_windows.month_offset = pipeline_months.month_offset
            and segments.segment = pipeline_months.segment
    left join new_business_months
        on
            forecast_windows.as_of_date = new_business_months.as_of_date
            and forecast_windows.month_offset = new_business_months.month_offset
            and segments.segment = new_business_months.segment
    left join pipeline_totals
        on
            forecast_windows.as_of_date = pipeline_totals.as_of_date
            and segments.segment = pipeline_totals.segment
    left join realised_months
        on
            forecast_windows.as_of_date = realised_months.as_of_date
            and forecast_windows.month_offset = realised_months.month_offset
            and segments.segment = realised_months.segment
    where reference_date_counts.reference_dates >= {{ var('forecast_min_reference_dates') }}
),

with_total as (
    select * from segment_months
    union all
    -- segments are independent: means and variances add up
    select
        as_of_date,
        month_offset,
        forecast_month,
        last_day,
        'all' as segment,
        sum(pipeline_expected_amount) as pipeline_expected_amount,
        sum(pipeline_variance) as pipeline_variance,
        sum(new_business_expected_amount) as new_business_expected_amount,
        sum(new_business_variance) as new_business_variance,
        sum(open_deals) as open_deals,
        sum(model_scored_deals) as model_scored_deals,
        sum(open_amount) as open_amount,
        sum(realised_won_amount) as realised_won_amount,
        max(reference_dates) as reference_dates
    from segment_months
    group by as_of_date, month_offset, forecast_month, last_day
),

intervals as (
    select
        with_total.*,
        with_total.pipeline_expected_amount + with_total.new_business_expected_amount as expected_won_amount,
        sqrt(greatest(with_total.pipeline_variance + with_total.new_business_variance, 0)) as won_amount_stddev
    from with_total
),

final as (
    select
        intervals.as_of_date,
        intervals.forecast_month,
        cast(intervals.segment as {{ dbt.type_string() }}) as segment,
        cast(intervals.month_offset as {{ dbt.type_int() }}) as month_offset,
        cast(intervals.open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(intervals.model_scored_deals as {{ dbt.type_int() }}) as model_scored_deals,
        cast(intervals.open_amount as {{ dbt.type_float() }}) as open_amount,
        cast(intervals.pipeline_expected_amount as {{ dbt.type_float() }}) as pipeline_expected_amount,
        cast(intervals.new_business_expected_amount as {{ dbt.type_float() }}) as new_business_expected_amount,
        cast(intervals.expected_won_amount as {{ dbt.type_float() }}) as expected_won_amount,
        cast(intervals.won_amount_stddev as {{ dbt.type_float() }}) as won_amount_stddev,
        cast(
            greatest(0, intervals.expected_won_amount - {{ z }} * intervals.won_amount_stddev)
            as {{ dbt.type_float() }}
        ) as lower_won_amount,
        cast(intervals.expected_won_amount + {{ z }} * intervals.won_amount_stddev as {{ dbt.type_float() }})
            as upper_won_amount,
        cast(intervals.reference_dates as {{ dbt.type_int() }}) as reference_dates,
        coalesce(
            {{ days_after('intervals.as_of_date', 'intervals.last_day') }} <= crm_data_end.last_activity_date, false
        ) as is_month_complete,
        cast(
            case
                when {{ days_after('intervals.as_of_date', 'intervals.last_day') }} <= crm_data_end.last_activity_date
                    then intervals.realised_won_amount
            end as {{ dbt.type_float() }}
        ) as realised_won_amount
    from intervals
    cross join crm_data_end
)

select * from final
