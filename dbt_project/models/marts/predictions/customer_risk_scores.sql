{#-
    The latest churn probability, predicted revenue and segment per unified customer, from the
    champion models' append-only scores. One row per customer with any latest score.
-#}
with

latest as (
    select * from {{ ref('int_predictions_latest') }}
    where entity = 'customer'
),

churn as (
    select * from latest
    where model_name = 'customer_churn'
),

clv as (
    select * from latest
    where model_name = 'customer_clv'
),

segments as (
    select * from latest
    where model_name = 'customer_segments'
),

customers as (
    select entity_id from churn
    union
    select entity_id from clv
    union
    select entity_id from segments
),

final as (
    select
        cast(customers.entity_id as {{ dbt.type_bigint() }}) as customer_id,
        coalesce(churn.as_of_date, clv.as_of_date, segments.as_of_date) as as_of_date,
        churn.score as churn_probability,
        churn.score_lower as churn_probability_lower,
        churn.score_upper as churn_probability_upper,
        {{ risk_band('churn.score') }} as churn_risk_band,
        churn.horizon_days as churn_horizon_days,
        cast(clv.score as numeric(18, 2)) as predicted_revenue,
        cast(clv.score_lower as numeric(18, 2)) as predicted_revenue_lower,
        cast(clv.score_upper as numeric(18, 2)) as predicted_revenue_upper,
        clv.horizon_days as clv_horizon_days,
        segments.score_label as segment_name,
        {{ prediction_factor_columns('churn', prefix='churn_') }},
        churn.model_version as churn_model_version,
        clv.model_version as clv_model_version,
        segments.model_version as segment_model_version,
        greatest(
            coalesce(churn.scored_at, clv.scored_at, segments.scored_at),
            coalesce(clv.scored_at, churn.scored_at, segments.scored_at),
            coalesce(segments.scored_at, churn.scored_at, clv.scored_at)
        ) as scored_at
    from customers
    left join churn on customers.entity_id = churn.entity_id
    left join clv on customers.entity_id = clv.entity_id
    left join segments on customers.entity_id = segments.entity_id
)

select * from final
