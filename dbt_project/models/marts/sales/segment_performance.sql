{#- Closed deals by segment (and `all`) and quarter of closing, with the change vs the prior quarter. -#}

with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

run_date as (
    {{ run_as_of_date() }}
),

closed_deals as (
    select
        opportunities.segment,
        cast({{ dbt.date_trunc('quarter', 'opportunities.closed_at') }} as date) as quarter_start_date,
        opportunities.is_won,
        opportunities.amount,
        opportunities.sales_cycle_days
    from opportunities
    cross join run_date
    where
        opportunities.closed_at is not null
        and opportunities.closed_at < run_date.as_of_date
),

closed_by_segment as (
    select * from closed_deals
    union all
    select
        'all' as segment,
        quarter_start_date,
        is_won,
        amount,
        sales_cycle_days
    from closed_deals
),

quarters as (
    select
        segment,
        quarter_start_date,
        count(*) as closed_deals,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_won then amount else 0 end) as won_amount,
        sum(case when not is_won then amount else 0 end) as lost_amount,
        avg(case when is_won then amount end) as avg_won_deal_amount,
        avg(sales_cycle_days) as avg_sales_cycle_days
    from closed_by_segment
    group by segment, quarter_start_date
),

with_rates as (
    select
        quarters.*,
        {{ safe_ratio('won_deals', 'closed_deals') }} as win_rate
    from quarters
),

final as (
    select
        cast(current_quarter.segment as {{ dbt.type_string() }}) as segment,
        current_quarter.quarter_start_date,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'current_quarter.quarter_start_date')) }} as date)
            as quarter_end_date,
        cast({{ dbt.dateadd('month', 3, 'current_quarter.quarter_start_date') }} as date)
        <= run_date.as_of_date as is_complete_quarter,
        cast(current_quarter.closed_deals as {{ dbt.type_int() }}) as closed_deals,
        cast(current_quarter.won_deals as {{ dbt.type_int() }}) as won_deals,
        cast(current_quarter.closed_deals - current_quarter.won_deals as {{ dbt.type_int() }}) as lost_deals,
        cast(current_quarter.win_rate as {{ dbt.type_float() }}) as win_rate,
        cast(current_quarter.won_amount as {{ dbt.type_float() }}) as won_amount,
        cast(current_quarter.lost_amount as {{ dbt.type_float() }}) as lost_amount,
        cast(current_quarter.avg_won_deal_amount as {{ dbt.type_float() }}) as avg_won_deal_amount,
        cast(current_quarter.avg_sales_cycle_days as {{ dbt.type_float() }}) as avg_sales_cycle_days,
        cast(prior_quarter.win_rate as {{ dbt.type_float() }}) as prior_quarter_win_rate,
        cast(prior_quarter.closed_deals as {{ dbt.type_int() }}) as prior_quarter_closed_deals,
        cast(100.0 * (current_quarter.win_rate - prior_quarter.win_rate) as {{ dbt.type_float() }})
            as win_rate_change_points
    from with_rates as current_quarter
    cross join run_date
    left join with_rates as prior_quarter
        on
            current_quarter.segment = prior_quarter.segment
            and prior_quarter.quarter_start_date
            = cast({{ dbt.dateadd('month', -3, 'current_quarter.quarter_start_date') }} as date)
)

select * from final
