{#-
    Resolved alerts whose condition was still true: the same alert type and entity was alerted
    again after the resolution and past the repeat-suppression window
    (var `alert_repeat_suppression_hours` after the original alert). The first such alert is
    the one that reopened it.
-#}
{%- set suppression_hours = var('alert_repeat_suppression_hours') -%}

with

alert_status as (
    select * from {{ ref('alert_status') }}
),

alerts as (
    select * from {{ ref('alerts') }}
),

resolved_alerts as (
    select * from alert_status
    where status = 'resolved'
),

later_alerts as (
    select
        resolved_alerts.alert_id,
        later.alert_id as reopened_by_alert_id,
        later.created_at as reopened_at,
        row_number() over (
            partition by resolved_alerts.alert_id
            order by later.created_at, later.alert_id
        ) as reopen_rank
    from resolved_alerts
    inner join alerts as later
        on
            resolved_alerts.alert_type = later.alert_type
            and resolved_alerts.entity_type = later.entity_type
            and resolved_alerts.entity_id = later.entity_id
            and resolved_alerts.resolved_at < later.created_at
            and {{ dbt.dateadd('hour', suppression_hours, 'resolved_alerts.created_at') }}
            <= later.created_at
),

final as (
    select
        resolved_alerts.alert_id,
        later_alerts.reopened_by_alert_id,
        resolved_alerts.alert_type,
        resolved_alerts.entity_type,
        resolved_alerts.entity_id,
        resolved_alerts.owner_user_id,
        resolved_alerts.resolution_note,
        resolved_alerts.created_at,
        resolved_alerts.resolved_at,
        later_alerts.reopened_at,
        {{ alert_hours_between('resolved_alerts.resolved_at', 'later_alerts.reopened_at') }}
            as hours_resolved_to_reopened
    from resolved_alerts
    inner join later_alerts
        on resolved_alerts.alert_id = later_alerts.alert_id
    where later_alerts.reopen_rank = 1
)

select * from final
