{#-
    Deal scores above var `deal_review_min_score` wait for a manager before the rep is alerted
    (the sales-insight design's human review): one row per such high-risk-deal alert, with the
    manager's decision from ops.deal_score_reviews (`ciw review`) when there is one. A decision
    on the same deal in the var `deal_review_carry_days` days before the alert carries over, so
    a deal reviewed on Monday is not queued again every morning. The notifier holds the alert
    while the review is pending.
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

ranked_decisions as (
    {#- The review's own decision first, else the latest recent one on the same deal. -#}
    select
        queued.alert_id,
        reviews.review_id as decided_in_review_id,
        reviews.decision,
        reviews.reviewed_score,
        reviews.note,
        reviews.reviewed_by,
        reviews.reviewed_at,
        row_number() over (
            partition by queued.alert_id
            order by case when reviews.review_id = queued.alert_id then 0 else 1 end, reviews.reviewed_at desc
        ) as decision_rank
    from queued
    inner join reviews
        on
            queued.alert_id = reviews.review_id
            or (
                queued.entity_id = reviews.opportunity_id
                and queued.created_at >= reviews.reviewed_at
                and {{ dbt.dateadd('day', -1 * var('deal_review_carry_days'), 'queued.created_at') }}
                < reviews.reviewed_at
            )
),

decisions as (
    select * from ranked_decisions
    where decision_rank = 1
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
        cast(coalesce(decisions.decision, 'pending') as {{ dbt.type_string() }}) as review_status,
        cast(decisions.decided_in_review_id as {{ dbt.type_string() }}) as decided_in_review_id,
        coalesce(decisions.decided_in_review_id <> queued.alert_id, false) as is_carried_over,
        cast(decisions.reviewed_score as {{ dbt.type_float() }}) as reviewed_score,
        cast(decisions.reviewed_score - queued.metric_value as {{ dbt.type_float() }}) as score_change,
        cast(decisions.note as {{ dbt.type_string() }}) as review_note,
        cast(decisions.reviewed_by as {{ dbt.type_string() }}) as reviewed_by,
        decisions.reviewed_at,
        cast(
            case
                when decisions.decided_in_review_id = queued.alert_id
                    then {{ alert_hours_between('queued.created_at', 'decisions.reviewed_at') }}
            end as {{ dbt.type_float() }}
        ) as hours_to_review
    from queued
    left join decisions
        on queued.alert_id = decisions.alert_id
)

select * from final
