{#-
    Journey per unified customer as of the run's as-of date: the stage (rules in
    int_customer_journey_stages) and the stage before it, the journey score, the next milestone
    from the model scores, the next best action from stage, scores and intent, the touchpoints
    timeline and the category distribution (JSON text).
    Score 0-100 = 40% engagement (active days in 90, 12 = full), 30% purchase value (monetary
    score), 20% channel diversity (order channels of 3), 10% recency (last activity, 365 = 0).
    Next milestone, first that holds: at_risk_of_churn (churn probability above
    `journey_at_risk_churn_probability`; without a score, a buyer past
    `journey_lapsing_after_days`); ready_for_upsell (a repeat buyer under
    `journey_healthy_churn_probability` whose predicted revenue is in the top
    `journey_upsell_top_share`, or without CLV scores a monetary score of at least
    `journey_upsell_min_monetary_score`); likely_to_purchase_in_7_days (a buyer under the
    healthy churn probability whose next order is due within 7 days by their average gap, or
    anyone with intent at or above `intent_alert_threshold`); else none.
-#}
{%- set lapsing_days = var('journey_lapsing_after_days') -%}
{%- set healthy = var('journey_healthy_churn_probability') -%}
{%- set intent_threshold = var('intent_alert_threshold') -%}
{%- set run_start = 'cast(run_date.as_of_date as ' ~ dbt.type_timestamp() ~ ')' -%}

with

run_date as (
    {{ run_as_of_date() }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

stages as (
    select * from {{ ref('int_customer_journey_stages') }}
),

order_features as (
    select * from {{ ref('customer_order_features') }}
),

engagement_features as (
    select * from {{ ref('customer_engagement_features') }}
),

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

intent as (
    select * from {{ ref('customer_product_intent') }}
),

affinity as (
    select * from {{ ref('customer_category_affinity') }}
),

touchpoints as (
    select * from {{ ref('int_customer_touchpoints') }}
),

current_stages as (
    select stages.*
    from stages
    inner join run_date
        on stages.as_of_date = run_date.as_of_date
),

-- The stage before the current one: the latest earlier as-of date with another stage.
last_other_stage_dates as (
    select
        stages.customer_id,
        max(stages.as_of_date) as as_of_date
    from stages
    inner join current_stages
        on stages.customer_id = current_stages.customer_id
    where
        stages.as_of_date < current_stages.as_of_date
        and stages.journey_stage <> current_stages.journey_stage
    group by stages.customer_id
),

previous_stages as (
    select
        stages.customer_id,
        stages.journey_stage as previous_stage,
        stages.as_of_date as previous_stage_as_of_date
    from stages
    inner join last_other_stage_dates
        on
            stages.customer_id = last_other_stage_dates.customer_id
            and stages.as_of_date = last_other_stage_dates.as_of_date
),

stage_entered as (
    select
        stages.customer_id,
        min(stages.as_of_date) as stage_entered_on
    from stages
    inner join current_stages
        on stages.customer_id = current_stages.customer_id
    left join last_other_stage_dates
        on stages.customer_id = last_other_stage_dates.customer_id
    where
        stages.as_of_date <= current_stages.as_of_date
        and stages.as_of_date > coalesce(last_other_stage_dates.as_of_date, cast('1900-01-01' as date))
    group by stages.customer_id
),

ranked_intent as (
    select
        customer_id,
        intent_level,
        item_key,
        product_category,
        intent_score,
        row_number() over (
            partition by customer_id
            order by intent_score desc, last_signal_at desc, intent_level desc, item_key asc
        ) as intent_rank
    from intent
),

top_intent as (
    select * from ranked_intent
    where intent_rank = 1
),

revenue_ranks as (
    select
        customer_id,
        cume_dist() over (order by predicted_revenue desc) as revenue_top_share
    from risk_scores
    where predicted_revenue is not null
),

affinity_json as (
    select
        customer_id,
        max(case when affinity_rank = 1 then product_category end) as top_category,
        {{ json_text_array('category_object', 'order by affinity_rank') }} as category_affinity
    from (
        select
            customer_id,
            affinity_rank,
            product_category,
            {{ json_text_object([
                ['category', 'product_category', 'string'],
                ['lines', 'cast(item_line_count as ' ~ dbt.type_int() ~ ')', 'number'],
                ['amount', 'cast(item_amount as numeric(18, 2))', 'number'],
                ['share', 'round(cast(amount_share as numeric(8, 4)), 4)', 'number'],
            ]) }} as category_object
        from affinity
    ) as category_objects
    group by customer_id
),

recent_touchpoints as (
    select
        touchpoints.customer_id,
        touchpoints.occurred_at,
        touchpoints.touchpoint_id,
        {{ json_text_object([
            ['at', 'touchpoints.occurred_at', 'string'],
            ['type', 'touchpoints.touchpoint_type', 'string'],
            ['channel', 'touchpoints.channel', 'string'],
            ['value', 'cast(touchpoints.touchpoint_value as numeric(18, 2))', 'number'],
        ]) }} as touchpoint_object,
        row_number() over (
            partition by touchpoints.customer_id
            order by touchpoints.occurred_at desc, touchpoints.touchpoint_id desc
        ) as recency_rank,
        count(*) over (partition by touchpoints.customer_id) as touchpoint_count
    from touchpoints
    cross join run_date
    where touchpoints.occurred_at < {{ run_start }}
),

touchpoints_json as (
    select
        customer_id,
        max(touchpoint_count) as touchpoint_count,
        {{ json_text_array_by_rank(
            'touchpoint_object', 'recency_rank', var('journey_touchpoints_limit')
        ) }} as touchpoints
    from recent_touchpoints
    where recency_rank <= {{ var('journey_touchpoints_limit') }}
    group by customer_id
),

inputs as (
    select
        profiles.customer_id,
        profiles.as_of_date,
        coalesce(current_stages.journey_stage, 'awareness') as journey_stage,
        previous_stages.previous_stage,
        stage_entered.stage_entered_on,
        profiles.lifetime_orders,
        profiles.recency_days,
        profiles.monetary_score,
        order_features.avg_days_between_orders,
        coalesce(order_features.channel_count, 0) as channel_count,
        coalesce(engagement_features.active_days_90d, 0) as active_days_90d,
        coalesce(engagement_features.cart_adds_90d, 0) as cart_adds_90d,
        coalesce(engagement_features.cart_abandons_7d, 0) as cart_abandons_7d,
        coalesce(current_stages.searches_90d, 0) as searches_90d,
        coalesce(current_stages.referral_count, 0) as referral_count,
        engagement_features.days_since_last_activity,
        risk_scores.churn_probability,
        risk_scores.predicted_revenue,
        revenue_ranks.revenue_top_share,
        top_intent.intent_level as top_intent_level,
        top_intent.item_key as top_intent_item,
        top_intent.product_category as top_intent_category,
        top_intent.intent_score as top_intent_score,
        affinity_json.top_category,
        affinity_json.category_affinity,
        touchpoints_json.touchpoints,
        coalesce(touchpoints_json.touchpoint_count, 0) as touchpoint_count
    from profiles
    left join current_stages
        on profiles.customer_id = current_stages.customer_id
    left join previous_stages
        on profiles.customer_id = previous_stages.customer_id
    left join stage_entered
        on profiles.customer_id = stage_entered.customer_id
    left join order_features
        on
            profiles.customer_id = order_features.customer_id
            and profiles.as_of_date = order_features.as_of_date
    left join engagement_features
        on
            profiles.customer_id = engagement_features.customer_id
            and profiles.as_of_date = engagement_features.as_of_date
    left join risk_scores
        on profiles.customer_id = risk_scores.customer_id
    left join revenue_ranks
        on profiles.customer_id = revenue_ranks.customer_id
    left join top_intent
        on profiles.customer_id = top_intent.customer_id
    left join affinity_json
        on profiles.customer_id = affinity_json.customer_id
    left join touchpoints_json
        on profiles.customer_id = touchpoints_json.customer_id
),

milestones as (
    select
        *,
        100 * (
            0.4 * least(active_days_90d / 12.0, 1.0)
            + 0.3 * coalesce(monetary_score, 0) / 5.0
            + 0.2 * least(channel_count / 3.0, 1.0)
            + 0.1 * greatest(1.0 - coalesce(days_since_last_activity, 365) / 365.0, 0.0)
        ) as journey_score,
        coalesce(churn_probability < {{ healthy }}, true) as is_healthy,
        case
            when churn_probability > {{ var('journey_at_risk_churn_probability') }} then 'at_risk_of_churn'
            when churn_probability is null and lifetime_orders > 0 and recency_days > {{ lapsing_days }}
                then 'at_risk_of_churn'
            when
                lifetime_orders >= 2
                and coalesce(churn_probability < {{ healthy }}, true)
                and (
                    revenue_top_share <= {{ var('journey_upsell_top_share') }}
                    or (
                        revenue_top_share is null
                        and monetary_score >= {{ var('journey_upsell_min_monetary_score') }}
                    )
                )
                then 'ready_for_upsell'
            when
                lifetime_orders > 0
                and coalesce(churn_probability < {{ healthy }}, true)
                and recency_days + 7 >= avg_days_between_orders
                and recency_days <= 1.5 * avg_days_between_orders
                then 'likely_to_purchase_in_7_days'
            when top_intent_score >= {{ intent_threshold }} then 'likely_to_purchase_in_7_days'
        end as next_milestone
    from inputs
),

actions as (
    select
        *,
        case
            when next_milestone = 'at_risk_of_churn' and coalesce(monetary_score, 0) >= 4 then 'vip_retention_call'
            when next_milestone = 'at_risk_of_churn' then 'win_back_offer'
            when cart_abandons_7d > 0 then 'cart_recovery'
            when top_intent_score >= {{ intent_threshold }} then 'intent_offer'
            when journey_stage = 'awareness' then 'welcome_series'
            when journey_stage = 'consideration' then 'first_purchase_incentive'
            when next_milestone = 'ready_for_upsell' then 'upsell_offer'
            when next_milestone = 'likely_to_purchase_in_7_days' then 'timely_reminder'
            when journey_stage = 'purchase' then 'second_purchase_cross_sell'
            when journey_stage = 'retention' then 'loyalty_program_invite'
            else 'referral_invite'
        end as next_best_action
    from milestones
),

explained as (
    select
        *,
        case next_best_action
            when 'vip_retention_call'
                then 'High-value buyer at risk of churn'
                    || coalesce(
                        ' ('
                        || cast(cast(round(100 * churn_probability) as {{ dbt.type_int() }}) as {{ dbt.type_string() }})
                        || '%)',
                        ''
                    )
                    || ': a personal call with an offer'
            when 'win_back_offer'
                then 'At risk of churn'
                    || coalesce(
                        ' ('
                        || cast(cast(round(100 * churn_probability) as {{ dbt.type_int() }}) as {{ dbt.type_string() }})
                        || '%)',
                        ''
                    )
                    || coalesce(', no order in ' || cast(recency_days as {{ dbt.type_string() }}) || ' days', '')
            when 'cart_recovery' then 'Abandoned a cart in the last 7 days without buying'
            when 'intent_offer'
                then 'High intent ('
                    || cast(cast(round(top_intent_score) as {{ dbt.type_int() }}) as {{ dbt.type_string() }})
                    || '/100) for ' || top_intent_level || ' ' || top_intent_item
            when 'welcome_series' then 'Known profile with no product interest yet'
            when 'first_purchase_incentive' then 'Browsing, searching or adding to cart, never purchased'
            when 'upsell_offer'
                then 'Repeat buyer with top predicted value; suggest premium in '
                    || coalesce(top_category, 'their top category')
            when 'timely_reminder' then 'Next order due within 7 days by their usual gap'
            when 'second_purchase_cross_sell'
                then 'One or two orders; suggest more from '
                    || coalesce(top_category, 'their first category')
            when 'loyalty_program_invite' then 'Repeat buyer, not yet a top spender'
            else 'Frequent, high-value, recent buyer'
        end as next_best_action_reason
    from actions
),

final as (
    select
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(journey_stage as {{ dbt.type_string() }}) as journey_stage,
        cast(previous_stage as {{ dbt.type_string() }}) as previous_stage,
        cast(stage_entered_on as date) as stage_entered_on,
        cast(round(journey_score) as {{ dbt.type_int() }}) as journey_score,
        cast(next_milestone as {{ dbt.type_string() }}) as next_milestone,
        cast(next_best_action as {{ dbt.type_string() }}) as next_best_action,
        cast(next_best_action_reason as {{ dbt.type_string() }}) as next_best_action_reason,
        cast(churn_probability as {{ dbt.type_float() }}) as churn_probability,
        cast(predicted_revenue as numeric(18, 2)) as predicted_revenue,
        cast(top_intent_level as {{ dbt.type_string() }}) as top_intent_level,
        cast(top_intent_item as {{ dbt.type_string() }}) as top_intent_item,
        cast(top_intent_score as numeric(5, 1)) as top_intent_score,
        cast(top_category as {{ dbt.type_string() }}) as top_category,
        cast(lifetime_orders as {{ dbt.type_int() }}) as lifetime_orders,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(active_days_90d as {{ dbt.type_int() }}) as active_days_90d,
        cast(cart_adds_90d as {{ dbt.type_int() }}) as cart_adds_90d,
        cast(searches_90d as {{ dbt.type_int() }}) as searches_90d,
        cast(referral_count as {{ dbt.type_int() }}) as referral_count,
        cast(channel_count as {{ dbt.type_int() }}) as channel_count,
        cast(days_since_last_activity as {{ dbt.type_int() }}) as days_since_last_activity,
        cast(touchpoint_count as {{ dbt.type_int() }}) as touchpoint_count,
        cast(coalesce(touchpoints, '[]') as {{ dbt.type_string() }}) as touchpoints,
        cast(coalesce(category_affinity, '[]') as {{ dbt.type_string() }}) as category_affinity
    from explained
)

select * from final
