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
