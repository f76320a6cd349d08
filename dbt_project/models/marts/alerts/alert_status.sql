{#-
    Where each alert stands in its lifecycle (open -> acknowledged -> in_progress -> resolved or
    dismissed), from the append-only ops.alert_events that `ciw alerts`, the Slack buttons and
    the HTTP API write through notifier/lifecycle.py. Each event carries the state after it, so
    the latest event is the current state; an alert without events is open.
-#}
with

alerts as (
    select * from {{ ref('alerts') }}
),

events as (
    select * from {{ source_or_empty('ops', 'alert_events') }}
),

ranked_events as (
    select
        alert_id,
        status,
        assigned_to,
        note,
        actor,
        occurred_at,
        row_number() over (partition by alert_id order by sequence desc) as recency_rank
    from events
),

latest_events as (
    select * from ranked_events
    where recency_rank = 1
),

milestones as (
    select
        alert_id,
        count(*) as event_count,
        min(
            case
                when event_type in ('acknowledged', 'in_progress', 'resolved', 'dismissed')
                    then occurred_at
            end
        ) as acknowledged_at,
        max(case when event_type = 'resolved' then occurred_at end) as resolved_at,
        max(case when event_type = 'dismissed' then occurred_at end) as dismissed_at
    from events
    group by alert_id
),

final as (
    select
        alerts.alert_id,
        alerts.alert_type,
        alerts.entity_type,
        alerts.entity_id,
        alerts.owner_user_id,
        alerts.owner_name,
        alerts.severity,
        coalesce(alerts.urgency, {{ alert_urgency('alerts.severity') }}) as urgency,
        coalesce(latest_events.status, 'open') as status,
        latest_events.assigned_to,
        case
            when latest_events.status in ('resolved', 'dismissed') then latest_events.note
        end as resolution_note,
        alerts.created_at,
        milestones.acknowledged_at,
        milestones.resolved_at,
        milestones.dismissed_at,
        coalesce(latest_events.occurred_at, alerts.created_at) as updated_at,
        latest_events.actor as updated_by,
        cast(coalesce(milestones.event_count, 0) as {{ dbt.type_int() }}) as event_count,
        {{ alert_hours_between('alerts.created_at', 'milestones.acknowledged_at') }}
            as hours_to_acknowledge,
        {{ alert_hours_between('alerts.created_at', 'milestones.resolved_at') }}
            as hours_to_resolve,
        coalesce(latest_events.status, 'open') not in ('resolved', 'dismissed') as is_open
    from alerts
    left join latest_events
        on alerts.alert_id = latest_events.alert_id
    left join milestones
        on alerts.alert_id = milestones.alert_id
)

select * from final
