{#-
    High product intent: a customer whose intent for a product or category
    (customer_product_intent) reached var `intent_alert_threshold` (0-100). One alert per
    customer, for their highest-intent item; the window is the item and the day of its latest
    signal, so new signals alert again and an unchanged intent does not.
-#}
{%- set threshold = var('intent_alert_threshold') -%}
{%- set text = dbt.type_string() -%}

with

run_date as (
    {{ run_as_of_date() }}
),

intent as (
    select * from {{ ref('customer_product_intent') }}
),

risk_scores as (
    select * from {{ ref('customer_risk_scores') }}
),

ranked_intent as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by intent_score desc, last_signal_at desc, intent_level desc, item_key asc
        ) as intent_rank
    from intent
    where intent_score >= {{ threshold }}
),

top_intent as (
    select * from ranked_intent
    where intent_rank = 1
),

final as (
    select
        {{ alert_candidate(
            alert_type='product_intent',
            entity_type='customer',
            entity_id='top_intent.customer_id',
            entity_name="'Customer ' || cast(top_intent.customer_id as " ~ text ~ ")",
            severity="case when top_intent.intent_score >= 90 then 'high' else 'medium' end",
            title="'High Intent: Customer ' || cast(top_intent.customer_id as " ~ text ~ ")
                || ' for ' || top_intent.intent_level || ' ' || top_intent.item_key",
            details=alert_lines([
                "'Intent score: ' || " ~ alert_number('top_intent.intent_score') ~ " || '/100'",
                "'Product views: ' || " ~ alert_number('top_intent.view_count'),
                "'Cart adds: ' || " ~ alert_number('top_intent.cart_add_count'),
                "'Searches: ' || " ~ alert_number('top_intent.search_count'),
                "'Last signal: ' || cast(top_intent.last_signal_at as " ~ text ~ ") || ' UTC'",
            ]),
            factors=alert_lines([
                "'Repeated interest in ' || top_intent.intent_level || ' ' || top_intent.item_key || ' since their last purchase of it'",
                "'Churn risk: ' || risk_scores.churn_risk_band",
            ]),
            suggested_actions=alert_lines([
                "'Send a personal offer for ' || top_intent.item_key",
                "'Recommend related products in ' || coalesce(top_intent.product_category, top_intent.item_key)",
            ]),
            metric_value='top_intent.intent_score',
            threshold_value=threshold,
            window_key="top_intent.intent_level || ':' || top_intent.item_key || '@'
                || cast(cast(top_intent.last_signal_at as date) as " ~ text ~ ")",
            as_of_date='run_date.as_of_date',
        ) }}
    from top_intent
    cross join run_date
    left join risk_scores
        on top_intent.customer_id = risk_scores.customer_id
)

select * from final
