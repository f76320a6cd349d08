{#-
    Deal scores above var `deal_review_min_score` wait for a manager before the rep is alerted
    (the sales-insight design's human review): one row per such high-risk-deal alert, with the
    manager's decision from ops.deal_score_reviews (`ciw review`) when there is one. The
    notifier holds the alert while the review is pending.
-#}

with

alerts as (
    select * from {{ ref('alerts') }}
),

reviews as (
    select * from {{ source_or_empty('ops_reviews', 'deal_score_reviews') }}
),

queued as (
    select *
    from alerts
    where
        alert_type = 'high_risk_deal'
        and metric_value > {{ var('deal_review_min_score') }}
),

final as (
    select
        cast(queued.alert_id as {{ dbt.type_string() }}) as review_id,
        cast(queued.entity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(queued.entity_name as {{ dbt.type_string() }}) as deal_name,
        cast(queued.owner_user_id as {{ dbt.type_string() }}) as owner_user_id,
        cast(queued.owner_name as {{ dbt.type_string() }}) as owner_name,
        cast(queued.metric_value as {{ dbt.type_float() }}) as model_score,
        cast(queued.threshold_value as {{ dbt.type_float() }}) as threshold_score,
        queued.as_of_date,
        queued.created_at as queued_at,
        cast(coalesce(reviews.decision, 'pending') as {{ dbt.type_string() }}) as review_status,
        cast(reviews.reviewed_score as {{ dbt.type_float() }}) as reviewed_score,
        cast(reviews.reviewed_score - queued.metric_value as {{ dbt.type_float() }}) as score_change,
        cast(reviews.note as {{ dbt.type_string() }}) as review_note,
        cast(reviews.reviewed_by as {{ dbt.type_string() }}) as reviewed_by,
        reviews.reviewed_at,
        cast({{ alert_hours_between('queued.created_at', 'reviews.reviewed_at') }} as {{ dbt.type_float() }})
            as hours_to_review
    from queued
    left join reviews
        on queued.alert_id = reviews.review_id
)

select * from final
