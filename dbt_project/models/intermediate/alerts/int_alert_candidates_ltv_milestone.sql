{#-
    LTV milestones: a shop customer whose lifetime revenue crossed one of var
    `alert_ltv_milestones` with the orders of the last var `alert_ltv_lookback_days` days
    before the as-of date; one alert per customer and milestone (the highest crossed).
-#}
{%- set lookback_days = var('alert_ltv_lookback_days') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

milestones as (
    {% for amount in var('alert_ltv_milestones') -%}
        select cast({{ amount }} as {{ dbt.type_numeric() }}) as milestone_amount
        {%- if not loop.last %}
            union all
        {% endif %}
    {%- endfor %}
),

recent_revenue as (
    select
        order_days.customer_id,
        sum(order_days.revenue) as revenue_recent
    from order_days
    cross join run_date
    where
        order_days.order_date < run_date.as_of_date
        and order_days.order_date >= {{ dbt.dateadd('day', -1 * lookback_days, 'run_date.as_of_date') }}
    group by order_days.customer_id
),

milestones_crossed as (
    select
        profiles.customer_id,
        profiles.lifetime_orders,
        profiles.lifetime_revenue,
        recent_revenue.revenue_recent,
        max(milestones.milestone_amount) as milestone_amount
    from profiles
    inner join recent_revenue
        on profiles.customer_id = recent_revenue.customer_id
    inner join milestones
        on
            profiles.lifetime_revenue >= milestones.milestone_amount
            and profiles.lifetime_revenue - recent_revenue.revenue_recent < milestones.milestone_amount
    group by
        profiles.customer_id,
        profiles.lifetime_orders,
        profiles.lifetime_revenue,
        recent_revenue.revenue_recent
),

final as (
    select
        {{ alert_candidate(
            alert_type='ltv_milestone',
            entity_type='customer',
            entity_id='milestones_crossed.customer_id',
            entity_name="'Customer ' || cast(milestones_crossed.customer_id as " ~ dbt.type_string() ~ ")",
            severity="'low'",
            title="'LTV Milestone: Customer ' || cast(milestones_crossed.customer_id as " ~ dbt.type_string() ~ ")
                || ' passed ' || " ~ alert_money('milestones_crossed.milestone_amount'),
            details=alert_lines([
                "'Lifetime revenue: ' || " ~ alert_money('milestones_crossed.lifetime_revenue'),
                "'Orders: ' || " ~ alert_number('milestones_crossed.lifetime_orders'),
                "'Segment: ' || risk_scores.segment_name",
            ]),
            factors=alert_lines([
                "'Spent ' || " ~ alert_money('milestones_crossed.revenue_recent') ~ " || ' in the last "
                    ~ lookback_days ~ " days'",
            ]),
            suggested_actions=alert_lines([
                "'Send a personal thank-you'",
                text_literal("Invite the customer to the loyalty programme's next tier"),
                "'Ask for a review or a referral'",
            ]),
            metric_value='milestones_crossed.lifetime_revenue',
            threshold_value='milestones_crossed.milestone_amount',
            window_key="'milestone-' || " ~ alert_number('milestones_crossed.milestone_amount'),
            as_of_date='run_date.as_of_date',
        ) }}
    from milestones_crossed
    cross join run_date
    left join risk_scores
        on milestones_crossed.customer_id = risk_scores.customer_id
)

select * from final
