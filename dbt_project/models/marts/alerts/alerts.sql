{{ config(materialized='incremental', on_schema_change='append_new_columns') }}
{#-
    Every alert raised, one row each, from the run's candidates (int_alert_candidates, one
    model per alert type). Incremental and append-only: a run adds only alerts whose id is new
    and whose entity and type were not alerted within var `alert_repeat_suppression_hours`
    (either side of this run), so reruns add nothing and the Slack notifier's delivery log can
    key on the alert id. The recipient is the owner's Slack member id from the CRM, else the
    type's fallback channel; the type's model (seed alert_types) is the one feedback judges.
-#}
{%- set suppression_hours = var('alert_repeat_suppression_hours') -%}

with

candidates as (
    select * from {{ ref('int_alert_candidates') }}
),

alert_types as (
    select * from {{ ref('alert_types') }}
),

routed as (
    select
        {{ alert_id(
            'candidates.alert_type', 'candidates.entity_type', 'candidates.entity_id', 'candidates.window_key'
        ) }} as alert_id,
        candidates.alert_type,
        candidates.entity_type,
        candidates.entity_id,
        candidates.entity_name,
        alert_types.model_name,
        candidates.severity,
        case when candidates.severity = 'critical' then 'immediate' else 'digest' end as delivery_mode,
        candidates.title,
        candidates.details,
        candidates.factors,
        candidates.suggested_actions,
        candidates.metric_value,
        candidates.threshold_value,
        candidates.owner_user_id,
        candidates.owner_name,
        coalesce(candidates.owner_slack_user_id, alert_types.fallback_channel) as recipient,
        case
            when candidates.cc_slack_user_id <> coalesce(candidates.owner_slack_user_id, '')
                then candidates.cc_slack_user_id
        end as cc_recipient,
        candidates.window_key,
        candidates.as_of_date,
        {{ alert_created_at() }} as created_at,
        {{ alert_urgency('candidates.severity') }} as urgency
    from candidates
    left join alert_types
        on
            candidates.alert_type = alert_types.alert_type
            and candidates.entity_type = alert_types.entity_type
),

{% if is_incremental() -%}
previous_alerts as (
    select
        alert_id,
        alert_type,
        entity_type,
        entity_id,
        created_at
    from {{ this }}
),

{% endif -%}
new_alerts as (
    select routed.*
    from routed
    {%- if is_incremental() %}
    where
        not exists (
            select 1
            from previous_alerts
            where previous_alerts.alert_id = routed.alert_id
        )
        and not exists (
            select 1
            from previous_alerts
            where
                previous_alerts.alert_type = routed.alert_type
                and previous_alerts.entity_type = routed.entity_type
                and previous_alerts.entity_id = routed.entity_id
                and previous_alerts.created_at
                > {{ dbt.dateadd('hour', -1 * suppression_hours, 'routed.created_at') }}
                and previous_alerts.created_at
                < {{ dbt.dateadd('hour', suppression_hours, 'routed.created_at') }}
        )
    {%- endif %}
),

final as (
    select
        alert_id,
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        model_name,
        severity,
        delivery_mode,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        owner_user_id,
        owner_name,
        recipient,
        cc_recipient,
        window_key,
        as_of_date,
        created_at,
        urgency
    from new_alerts
)

select * from final
