{#- The latest deal risk per opportunity: the probability the deal is lost, on a 0-100 scale. -#}
with

latest as (
    select * from {{ ref('int_predictions_latest') }}
    where model_name = 'deal_risk'
),

final as (
    select
        entity_id as opportunity_id,
        as_of_date,
        cast(round(cast(score * 100 as numeric(18, 4)), 1) as numeric(5, 1)) as risk_score,
        {{ prediction_factor_columns() }},
        model_version,
        scored_at
    from latest
)

select * from final
