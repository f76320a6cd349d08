{#-
    How often managers override deal scores held for review, per week the scores were queued,
    and how the overridden deals ended (the design's "risk score override success rate"): an
    override that lowered the risk is borne out when the deal is won, one that raised it when
    the deal is lost.
-#}

with

queue as (
    select * from {{ ref('deal_review_queue') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

queue_outcomes as (
    {#- Decisions carried over from an earlier review are counted once, on that review. -#}
    select
        queue.opportunity_id,
        queue.queued_at,
        queue.score_change,
        queue.hours_to_review,
        case when queue.is_carried_over then 'carried_over' else queue.review_status end as review_status,
        cast({{ dbt.date_trunc('week', 'queue.queued_at') }} as date) as queue_week,
        coalesce(opportunities.is_closed, false) as is_closed,
        coalesce(opportunities.is_won, false) as is_won
    from queue
    left join opportunities
        on queue.opportunity_id = opportunities.opportunity_id
),

weekly as (
    select
        queue_week,
        count(*) as queued_reviews,
        sum(case when review_status = 'pending' then 1 else 0 end) as pending_reviews,
        sum(case when review_status = 'carried_over' then 1 else 0 end) as carried_over_reviews,
        sum(case when review_status = 'approved' then 1 else 0 end) as approved_reviews,
        sum(case when review_status = 'overridden' then 1 else 0 end) as overridden_reviews,
        avg(case when review_status = 'overridden' then score_change end) as avg_override_change,
        avg(hours_to_review) as avg_hours_to_review,
        sum(case when review_status = 'overridden' and is_closed then 1 else 0 end) as overridden_closed,
        sum(
            case
                when review_status = 'overridden' and is_closed and score_change < 0 and is_won then 1
                when review_status = 'overridden' and is_closed and score_change > 0 and not is_won then 1
                else 0
            end
        ) as overrides_borne_out,
        sum(case when review_status = 'approved' and is_closed then 1 else 0 end) as approved_closed,
        sum(case when review_status = 'approved' and is_closed and not is_won then 1 else 0 end)
            as approved_lost
    from queue_outcomes
    group by queue_week
),

final as (
    select
        queue_week,
        cast(queued_reviews as {{ dbt.type_int() }}) as queued_reviews,
        cast(pending_reviews as {{ dbt.type_int() }}) as pending_reviews,
        cast(carried_over_reviews as {{ dbt.type_int() }}) as carried_over_reviews,
        cast(approved_reviews as {{ dbt.type_int() }}) as approved_reviews,
        cast(overridden_reviews as {{ dbt.type_int() }}) as overridden_reviews,
        cast({{ safe_ratio('overridden_reviews', 'approved_reviews + overridden_reviews') }} as {{ dbt.type_float() }})
            as override_rate,
        cast(avg_override_change as {{ dbt.type_float() }}) as avg_override_change,
        cast(avg_hours_to_review as {{ dbt.type_float() }}) as avg_hours_to_review,
        cast(overridden_closed as {{ dbt.type_int() }}) as overridden_closed,
        cast({{ safe_ratio('overrides_borne_out', 'overridden_closed') }} as {{ dbt.type_float() }})
            as override_success_rate,
        cast(approved_closed as {{ dbt.type_int() }}) as approved_closed,
        cast({{ safe_ratio('approved_lost', 'approved_closed') }} as {{ dbt.type_float() }})
            as approved_loss_rate
    from weekly
)

select * from final
