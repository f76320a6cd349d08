{#-
    The design's predictions table: per unified customer, the latest churn score, LTV score
    and segment with the model versions, stored with their recommendations (JSON text, by
    priority): the next best action, the action the next milestone calls for, an offer for the
    highest-intent item and a cross-sell from the top category, each once. One row per customer
    with a journey.
-#}
{%- set intent_threshold = var('intent_alert_threshold') -%}

with

journey as (
    select * from {{ ref('customer_journey') }}
),

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

candidates as (
    select
        customer_id,
        1 as priority,
        next_best_action as recommended_action,
        next_best_action_reason as reason
    from journey

    union all

    select
        customer_id,
        2 as priority,
        case next_milestone
            when 'at_risk_of_churn' then 'retention_offer'
            when 'ready_for_upsell' then 'upsell_offer'
            else 'timely_reminder'
        end as recommended_action,
        'Next milestone: ' || replace(next_milestone, '_', ' ') as reason
    from journey
    where next_milestone is not null

    union all

    select
        customer_id,
        3 as priority,
        'recommend_' || top_intent_level as recommended_action,
        'Intent ' || cast(cast(round(top_intent_score) as {{ dbt.type_int() }}) as {{ dbt.type_string() }})
        || '/100 for ' || top_intent_item as reason
    from journey
    where top_intent_score >= {{ intent_threshold }} / 2.0

    union all

    select
        customer_id,
        4 as priority,
        'cross_sell_category' as recommended_action,
        'Most bought: ' || top_category as reason
    from journey
    where top_category is not null and lifetime_orders > 0
),

first_of_each_action as (
    select
        customer_id,
        priority,
        recommended_action,
        reason,
        row_number() over (partition by customer_id, recommended_action order by priority) as action_rank
    from candidates
),

recommendations as (
    select
        customer_id,
        {{ json_text_array(
            json_text_object([
                ['action', 'recommended_action', 'string'],
                ['reason', 'reason', 'string'],
                ['priority', 'priority', 'number'],
            ]),
            'order by priority'
        ) }} as recommendations,
        count(*) as recommendation_count
    from first_of_each_action
    where action_rank = 1
    group by customer_id
),

final as (
    select
        cast(journey.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(journey.as_of_date as date) as as_of_date,
        cast(risk_scores.churn_probability as {{ dbt.type_float() }}) as churn_score,
        cast(risk_scores.predicted_revenue as numeric(18, 2)) as ltv_score,
        cast(risk_scores.segment_name as {{ dbt.type_string() }}) as segment,
        cast(journey.journey_stage as {{ dbt.type_string() }}) as journey_stage,
        cast(journey.next_milestone as {{ dbt.type_string() }}) as next_milestone,
        cast(coalesce(recommendations.recommendations, '[]') as {{ dbt.type_string() }}) as recommendations,
        cast(coalesce(recommendations.recommendation_count, 0) as {{ dbt.type_int() }}) as recommendation_count,
        cast(risk_scores.churn_model_version as {{ dbt.type_string() }}) as churn_model_version,
        cast(risk_scores.clv_model_version as {{ dbt.type_string() }}) as clv_model_version,
        cast(risk_scores.segment_model_version as {{ dbt.type_string() }}) as segment_model_version,
        cast(risk_scores.scored_at as {{ dbt.type_timestamp() }}) as scored_at
    from journey
    left join risk_scores
        on journey.customer_id = risk_scores.customer_id
    left join recommendations
        on journey.customer_id = recommendations.customer_id
)

select * from final
