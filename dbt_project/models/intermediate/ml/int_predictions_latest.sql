{#-
    The latest score per model and entity from the append-only predictions table: the row of
    the most recent scoring run (ties: the latest as-of date, then the version).
-#}
with

predictions as (
    select * from {{ source_or_empty('ml', 'predictions') }}
),

ranked as (
    select
        predictions.*,
        row_number() over (
            partition by predictions.model_name, predictions.entity_id
            order by
                predictions.scored_at desc,
                predictions.as_of_date desc,
                predictions.model_version desc
        ) as recency_rank
    from predictions
),

final as (
    select
        model_name,
        model_version,
        entity,
        entity_id,
        as_of_date,
        score,
        score_lower,
        score_upper,
        score_label,
        horizon_days,
        factor_1_name,
        factor_1_contribution,
        factor_2_name,
        factor_2_contribution,
        factor_3_name,
        factor_3_contribution,
        scored_at
    from ranked
    where recency_rank = 1
)

select * from final
