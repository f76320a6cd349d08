{#-
    Journey stage, journey score and next best action per unified customer as of the run's
    as-of date. Stages (first rule that holds): advocacy = at least
    `journey_advocacy_min_orders` orders, top-two monetary score and an order within
    `journey_lapsing_after_days`; retention = 3+ orders; purchase = 1-2 orders; consideration =
    no order but cart adds or more than 3 page views in 90 days; awareness otherwise. Score
    0-100 = 40% engagement (active days in 90, 12 = full), 30% purchase value (monetary score),
    20% channel diversity (order channels of 3), 10% recency (last activity, 365 days = 0).
-#}
{%- set lapsing_days = var('journey_lapsing_after_days') -%}

with

profiles as (
    select * from {{ ref('customer_profiles') }}
),

order_features as (
    select * from {{ ref('customer_order_features') }}
),

engagement_features as (
    select * from {{ ref('customer_engagement_features') }}
),

category_features as (
    select * from {{ ref('customer_category_features') }}
),

inputs as (
    select
        profiles.customer_id,
        profiles.as_of_date,
        profiles.lifetime_orders,
        profiles.recency_days,
        profiles.monetary_score,
        coalesce(order_features.channel_count, 0) as channel_count,
        coalesce(engagement_features.active_days_90d, 0) as active_days_90d,
        coalesce(engagement_features.cart_adds_90d, 0) as cart_adds_90d,
        coalesce(engagement_features.cart_abandons_7d, 0) as cart_abandons_7d,
        coalesce(engagement_features.page_views_90d, 0) as page_views_90d,
        engagement_features.days_since_last_activity,
        category_features.top_category
    from profiles
    left join order_features
        on
            profiles.customer_id = order_features.customer_id
            and profiles.as_of_date = order_features.as_of_date
    left join engagement_features
        on
            profiles.customer_id = engagement_features.customer_id
            and profiles.as_of_date = engagement_features.as_of_date
    left join category_features
        on
            profiles.customer_id = category_features.customer_id
            and profiles.as_of_date = category_features.as_of_date
),

staged as (
    select
        *,
        case
            when
                lifetime_orders >= {{ var('journey_advocacy_min_orders') }}
                and monetary_score >= 4
                and recency_days <= {{ lapsing_days }}
                then 'advocacy'
            when lifetime_orders >= 3 then 'retention'
            when lifetime_orders >= 1 then 'purchase'
            when cart_adds_90d > 0 or page_views_90d > 3 then 'consideration'
            else 'awareness'
        end as journey_stage,
        100 * (
            0.4 * least(active_days_90d / 12.0, 1.0)
            + 0.3 * coalesce(monetary_score, 0) / 5.0
            + 0.2 * least(channel_count / 3.0, 1.0)
            + 0.1 * greatest(1.0 - coalesce(days_since_last_activity, 365) / 365.0, 0.0)
        ) as journey_score
    from inputs
),

actions as (
    select
        *,
        case
            when journey_stage = 'awareness' then 'welcome_series'
            when journey_stage = 'consideration' and cart_abandons_7d > 0 then 'cart_recovery'
            when journey_stage = 'consideration' then 'first_purchase_incentive'
            when recency_days > {{ lapsing_days }} then 'win_back_offer'
            when journey_stage = 'purchase' then 'second_purchase_cross_sell'
            when journey_stage = 'retention' then 'loyalty_program_invite'
            else 'referral_invite'
        end as next_best_action,
        case
            when journey_stage = 'awareness' then 'Known profile with no product interest yet'
            when journey_stage = 'consideration' and cart_abandons_7d > 0
                then 'Abandoned a cart in the last 7 days without buying'
            when journey_stage = 'consideration' then 'Browsing or adding to cart, never purchased'
            when recency_days > {{ lapsing_days }}
                then 'No order in ' || cast(recency_days as {{ dbt.type_string() }}) || ' days'
            when journey_stage = 'purchase'
                then 'One or two orders; suggest more from ' || coalesce(top_category, 'their first category')
            when journey_stage = 'retention' then 'Repeat buyer, not yet a top spender'
            else 'Frequent, high-value, recent buyer'
        end as next_best_action_reason
    from staged
),

final as (
    select
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(journey_stage as {{ dbt.type_string() }}) as journey_stage,
        cast(round(journey_score) as {{ dbt.type_int() }}) as journey_score,
        cast(next_best_action as {{ dbt.type_string() }}) as next_best_action,
        cast(next_best_action_reason as {{ dbt.type_string() }}) as next_best_action_reason,
        cast(lifetime_orders as {{ dbt.type_int() }}) as lifetime_orders,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(active_days_90d as {{ dbt.type_int() }}) as active_days_90d,
        cast(cart_adds_90d as {{ dbt.type_int() }}) as cart_adds_90d,
        cast(channel_count as {{ dbt.type_int() }}) as channel_count,
        cast(days_since_last_activity as {{ dbt.type_int() }}) as days_since_last_activity
    from actions
)

select * from final
