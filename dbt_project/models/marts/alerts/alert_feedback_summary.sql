{#-
    Feedback on alerts per alert type and entity type, with the model it judges (seed
    alert_types), for monitoring (a falling accuracy share is a reason to retrain). Scores:
    accurate 1, somewhat 0.5, inaccurate 0; very relevant / very effective 1, relevant /
    effective 0.5, else 0.
-#}
with

feedback as (
    select * from {{ source_or_empty('ops', 'alert_feedback') }}
),

alerts as (
    select * from {{ ref('alerts') }}
),

alert_types as (
    select * from {{ ref('alert_types') }}
),

run_date as (
    {{ run_as_of_date() }}
),

scored_feedback as (
    select
        alerts.alert_type,
        alerts.entity_type,
        feedback.alert_id,
        feedback.recorded_at,
        feedback.priority_rating,
        case feedback.alert_accuracy
            when 'accurate' then 1.0 when 'somewhat_accurate' then 0.5 else 0.0
        end as accuracy_score,
        case feedback.alert_relevance
            when 'very_relevant' then 1.0 when 'relevant' then 0.5 else 0.0
        end as relevance_score,
        case feedback.action_effectiveness
            when 'very_effective' then 1.0 when 'effective' then 0.5 else 0.0
        end as effectiveness_score,
        case when feedback.alert_accuracy = 'inaccurate' then 1.0 else 0.0 end as is_inaccurate,
        case
            when feedback.recorded_at
                >= {{ dbt.dateadd('day', -30, 'cast(run_date.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
                then 1
            else 0
        end as is_last_30_days
    from feedback
    inner join alerts
        on feedback.alert_id = alerts.alert_id
    cross join run_date
),

summary as (
    select
        alert_type,
        entity_type,
        count(*) as feedback_count,
        count(distinct alert_id) as alerts_rated,
        sum(is_last_30_days) as feedback_count_30d,
        avg(accuracy_score) as accuracy_score,
        avg(is_inaccurate) as inaccurate_share,
        avg(relevance_score) as relevance_score,
        avg(effectiveness_score) as effectiveness_score,
        avg(cast(priority_rating as {{ dbt.type_float() }})) as avg_priority_rating,
        max(recorded_at) as last_feedback_at
    from scored_feedback
    group by alert_type, entity_type
),

final as (
    select
        summary.alert_type,
        summary.entity_type,
        alert_types.model_name,
        cast(summary.feedback_count as {{ dbt.type_int() }}) as feedback_count,
        cast(summary.alerts_rated as {{ dbt.type_int() }}) as alerts_rated,
        cast(summary.feedback_count_30d as {{ dbt.type_int() }}) as feedback_count_30d,
        cast(summary.accuracy_score as {{ dbt.type_float() }}) as accuracy_score,
        cast(summary.inaccurate_share as {{ dbt.type_float() }}) as inaccurate_share,
        cast(summary.relevance_score as {{ dbt.type_float() }}) as relevance_score,
        cast(summary.effectiveness_score as {{ dbt.type_float() }}) as effectiveness_score,
        cast(summary.avg_priority_rating as {{ dbt.type_float() }}) as avg_priority_rating,
        summary.last_feedback_at
    from summary
    left join alert_types
        on
            summary.alert_type = alert_types.alert_type
            and summary.entity_type = alert_types.entity_type
)

select * from final
