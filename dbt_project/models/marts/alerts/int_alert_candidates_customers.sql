{{ config(materialized='view', schema='intermediate') }}
{#-
    Alert candidates about shop customers at the run's as-of date: churn risk (severity by the
    score band; the var `alert_customer_churn_limit` customers with most revenue at risk), LTV milestones crossed in the last days, and carts abandoned the day before
    (a cart add with no purchase by the same customer within var `alert_cart_abandonment_hours`).
    B2C customers have no CRM owner: the alerts mart routes them to a channel.
-#}
{%- set churn_thresholds = var('churn_risk_thresholds') -%}
{%- set cart_hours = var('alert_cart_abandonment_hours') -%}

with

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

journey as (
    select * from {{ ref('customer_journey') }}
),

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

web_sessions as (
    select * from {{ ref('int_commerce_web_sessions') }}
),

cart_events as (
    select * from {{ ref('stg_commerce__cart_events') }}
),

run_date as (
    {{ run_as_of_date() }}
),

at_risk_customers as (
    {#- The customers with the most revenue at risk first; at most var `alert_customer_churn_limit`
        per run, so a badly calibrated day cannot flood the retention channel. #}
    select
        customer_id,
        row_number() over (
            order by
                churn_probability * coalesce(predicted_revenue, 0) desc,
                churn_probability desc,
                customer_id asc
        ) as value_at_risk_rank
    from risk_scores
    where churn_risk_band in ('critical', 'high', 'medium')
),

churn_risk as (
    select
        'churn_risk' as alert_type,
        'customer' as entity_type,
        cast(risk_scores.customer_id as {{ dbt.type_string() }}) as entity_id,
        'Customer ' || cast(risk_scores.customer_id as {{ dbt.type_string() }}) as entity_name,
        risk_scores.churn_risk_band as severity,
        'Churn Risk: Customer '
        || cast(risk_scores.customer_id as {{ dbt.type_string() }})
        || ' (' || risk_scores.churn_risk_band || ')' as title,
        {{ alert_lines([
            "'Churn probability: ' || " ~ alert_percent('risk_scores.churn_probability')
                ~ " || coalesce(' in the next ' || " ~ alert_number('risk_scores.churn_horizon_days') ~ " || ' days', '')",
            "'Segment: ' || risk_scores.segment_name",
            "'Predicted revenue: ' || " ~ alert_money('risk_scores.predicted_revenue')
                ~ " || coalesce(' in ' || " ~ alert_number('risk_scores.clv_horizon_days') ~ " || ' days', '')",
            "'Lifetime: ' || " ~ alert_number('profiles.lifetime_orders') ~ " || ' orders, ' || "
                ~ alert_money('profiles.lifetime_revenue'),
        ]) }} as details,
        {{ alert_lines([
            alert_model_factor('risk_scores.churn_factor_1_name', 'risk_scores.churn_factor_1_contribution'),
            alert_model_factor('risk_scores.churn_factor_2_name', 'risk_scores.churn_factor_2_contribution'),
            alert_model_factor('risk_scores.churn_factor_3_name', 'risk_scores.churn_factor_3_contribution'),
            "'No order for ' || " ~ alert_number('profiles.recency_days') ~ " || ' days'",
        ]) }} as factors,
        {{ alert_lines([
            "'Next best action: ' || replace(journey.next_best_action, '_', ' ')",
            "case risk_scores.churn_risk_band
                when 'critical' then 'Contact the customer within 24 hours'
                when 'high' then 'Reach out within 24 hours with a win-back offer'
                else 'Add the customer to this week''s retention campaign'
            end",
            "'Review recent orders, returns and support tickets'",
        ]) }} as suggested_actions,
        risk_scores.churn_probability as metric_value,
        case risk_scores.churn_risk_band
            when 'critical' then {{ churn_thresholds['critical'] }}
            when 'high' then {{ churn_thresholds['high'] }}
            else {{ churn_thresholds['medium'] }}
        end as threshold_value,
        run_date.as_of_date
    from risk_scores
    inner join at_risk_customers
        on risk_scores.customer_id = at_risk_customers.customer_id
    cross join run_date
    left join profiles
        on risk_scores.customer_id = profiles.customer_id
    left join journey
        on risk_scores.customer_id = journey.customer_id
    where at_risk_customers.value_at_risk_rank <= {{ var('alert_customer_churn_limit') }}
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
        and order_days.order_date
        >= {{ dbt.dateadd('day', -1 * var('alert_ltv_lookback_days'), 'run_date.as_of_date') }}
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

ltv_milestone as (
    select
        'ltv_milestone' as alert_type,
        'customer' as entity_type,
        cast(milestones_crossed.customer_id as {{ dbt.type_string() }}) as entity_id,
        'Customer ' || cast(milestones_crossed.customer_id as {{ dbt.type_string() }}) as entity_name,
        'low' as severity,
        'LTV Milestone: Customer '
        || cast(milestones_crossed.customer_id as {{ dbt.type_string() }})
        || ' passed ' || {{ alert_money('milestones_crossed.milestone_amount') }} as title,
        {{ alert_lines([
            "'Lifetime revenue: ' || " ~ alert_money('milestones_crossed.lifetime_revenue'),
            "'Orders: ' || " ~ alert_number('milestones_crossed.lifetime_orders'),
            "'Segment: ' || risk_scores.segment_name",
        ]) }} as details,
        {{ alert_lines([
            "'Spent ' || " ~ alert_money('milestones_crossed.revenue_recent') ~ " || ' in the last "
                ~ var('alert_ltv_lookback_days') ~ " days'",
        ]) }} as factors,
        {{ alert_lines([
            "'Send a personal thank-you'",
            "'Invite the customer to the loyalty programme''s next tier'",
            "'Ask for a review or a referral'",
        ]) }} as suggested_actions,
        cast(milestones_crossed.lifetime_revenue as {{ dbt.type_float() }}) as metric_value,
        cast(milestones_crossed.milestone_amount as {{ dbt.type_float() }}) as threshold_value,
        run_date.as_of_date,
        'milestone-' || {{ alert_number('milestones_crossed.milestone_amount') }} as window_key
    from milestones_crossed
    cross join run_date
    left join risk_scores
        on milestones_crossed.customer_id = risk_scores.customer_id
),

cart_adds as (
    select
        web_sessions.customer_id,
        cart_events.occurred_at,
        coalesce(cart_events.quantity, 1) * coalesce(cart_events.unit_price, 0) as cart_value
    from cart_events
    inner join web_sessions
        on cart_events.web_session_id = web_sessions.web_session_id
    cross join run_date
    where
        cart_events.cart_event_type = 'cart_add'
        and web_sessions.customer_id is not null
        {#- Adds of the day before the as-of date whose window closed before it. #}
        and cart_events.occurred_at
        >= {{ dbt.dateadd('hour', -24 - cart_hours, 'cast(run_date.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
        and cart_events.occurred_at
        < {{ dbt.dateadd('hour', -1 * cart_hours, 'cast(run_date.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
),

purchases as (
    select
        web_sessions.customer_id,
        cart_events.occurred_at
    from cart_events
    inner join web_sessions
        on cart_events.web_session_id = web_sessions.web_session_id
    where cart_events.cart_event_type = 'purchase'
),

abandoned_adds as (
    select cart_adds.*
    from cart_adds
    where not exists (
            select 1
            from purchases
            where
                purchases.customer_id = cart_adds.customer_id
                and purchases.occurred_at >= cart_adds.occurred_at
                and purchases.occurred_at
                <= {{ dbt.dateadd('hour', cart_hours, 'cart_adds.occurred_at') }}
        )
),

abandoned_carts as (
    select
        customer_id,
        count(*) as abandoned_add_count,
        sum(cart_value) as cart_value,
        max(occurred_at) as last_cart_add_at
    from abandoned_adds
    group by customer_id
),

cart_abandonment as (
    select
        'cart_abandonment' as alert_type,
        'customer' as entity_type,
        cast(abandoned_carts.customer_id as {{ dbt.type_string() }}) as entity_id,
        'Customer ' || cast(abandoned_carts.customer_id as {{ dbt.type_string() }}) as entity_name,
        'medium' as severity,
        'Cart Abandoned: Customer '
        || cast(abandoned_carts.customer_id as {{ dbt.type_string() }})
        || ' (' || {{ alert_money('abandoned_carts.cart_value') }} || ')' as title,
        {{ alert_lines([
            "'Cart value: ' || " ~ alert_money('abandoned_carts.cart_value'),
            "'Items added: ' || " ~ alert_number('abandoned_carts.abandoned_add_count'),
            "'Last cart add: ' || cast(abandoned_carts.last_cart_add_at as " ~ dbt.type_string() ~ ") || ' UTC'",
        ]) }} as details,
        {{ alert_lines([
            "'Added to cart, no purchase within " ~ cart_hours ~ " hours'",
            "'Churn risk: ' || risk_scores.churn_risk_band",
        ]) }} as factors,
        {{ alert_lines([
            "'Send a cart reminder with the items left behind'",
            "'Offer free shipping or a small discount if the cart is large'",
        ]) }} as suggested_actions,
        cast(abandoned_carts.cart_value as {{ dbt.type_float() }}) as metric_value,
        cast({{ cart_hours }} as {{ dbt.type_float() }}) as threshold_value,
        run_date.as_of_date
    from abandoned_carts
    cross join run_date
    left join risk_scores
        on abandoned_carts.customer_id = risk_scores.customer_id
),

unioned as (
    select
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        severity,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        as_of_date,
        cast(as_of_date as {{ dbt.type_string() }}) as window_key
    from churn_risk
    union all
    select
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        severity,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        as_of_date,
        window_key
    from ltv_milestone
    union all
    select
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        severity,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        as_of_date,
        cast(as_of_date as {{ dbt.type_string() }}) as window_key
    from cart_abandonment
),

final as (
    select
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        severity,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        {#- Shop customers have no CRM owner: the mart routes them to a channel. #}
        cast(null as {{ dbt.type_string() }}) as owner_user_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        cast(null as {{ dbt.type_string() }}) as owner_slack_user_id,
        cast(null as {{ dbt.type_string() }}) as cc_slack_user_id,
        window_key,
        as_of_date
    from unioned
)

select * from final
