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
        {{ prediction_factor_columns() }},
        model_version,
        scored_at
    from latest
)

select * from final
