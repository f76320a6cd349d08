{#- The latest modelled conversion probability per open lead, with its top factors. -#}
with

latest as (
    select * from {{ ref('int_predictions_latest') }}
    where model_name = 'lead_score'
),

final as (
    select
        entity_id as lead_id,
        as_of_date,
        score as conversion_probability,
        horizon_days as conversion_horizon_days,
        factor_1_name,
        factor_1_contribution,
        factor_2_name,
        factor_2_contribution,
        factor_3_name,
        factor_3_contribution,
        model_version,
        scored_at
    from latest
)

select * from final
