{#- The latest account churn probability per CRM account, with its band and top factors. -#}
with

latest as (
    select * from {{ ref('int_predictions_latest') }}
    where model_name = 'account_churn'
),

final as (
    select
        entity_id as account_id,
        as_of_date,
        score as churn_probability,
        {{ risk_band('score') }} as churn_risk_band,
        horizon_days as churn_horizon_days,
        {{ prediction_factor_columns() }},
        model_version,
        scored_at
    from latest
)

select * from final
