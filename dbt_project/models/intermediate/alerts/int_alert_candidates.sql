{{ config(materialized='table') }}
{#-
    Every alert candidate of the run, stacked by column name: one model per alert type (and
    entity type) in this folder, each a row of seed alert_types. A new alert type adds its
    model to this list.

    A table: the per-type models are views over the marts, and as a view this union ran them
    all again for the alerts mart and for each of its two tests (8-9 s each on PostgreSQL at
    100k customers).
-#}

with

candidates as (
    {{ union_alert_candidates([
        'int_alert_candidates_customer_churn_risk',
        'int_alert_candidates_ltv_milestone',
        'int_alert_candidates_cart_abandonment',
        'int_alert_candidates_product_intent',
        'int_alert_candidates_account_churn_risk',
        'int_alert_candidates_usage_decline',
        'int_alert_candidates_upsell_opportunity',
        'int_alert_candidates_high_risk_deal',
        'int_alert_candidates_win_rate_decline',
        'int_alert_candidates_rep_performance',
        'int_alert_candidates_pipeline_health',
        'int_alert_candidates_data_quality_breach',
        'int_alert_candidates_anomaly',
    ]) }}
),

final as (
    select * from candidates
)

select * from final
