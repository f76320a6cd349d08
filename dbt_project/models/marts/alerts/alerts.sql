{{ config(materialized='incremental', on_schema_change='append_new_columns') }}
{#-
    Every alert raised, one row each, from the candidates of the four alert-candidate models.
    Incremental and append-only: a run adds only alerts whose id is new and whose entity and type
    were not alerted within var `alert_repeat_suppression_hours` (either side of this run), so
    reruns add nothing and the Slack notifier's delivery log can key on the alert id. The
    recipient is the owner's Slack member id from the CRM, else the type's fallback channel.
-#}
{%- set suppression_hours = var('alert_repeat_suppression_hours') -%}

with

customer_candidates as (
    select * from {{ ref('int_alert_candidates_customers') }}
),

account_candidates as (
    select * from {{ ref('int_alert_candidates_accounts') }}
),

sales_candidates as (
    select * from {{ ref('int_alert_candidates_sales') }}
),

data_quality_candidates as (
    select * from {{ ref('int_alert_candidates_data_quality') }}
),

candidates as (
    select * from customer_candidates
    union all
    select * from account_candidates
    union all
    select * from sales_candidates
    union all
    select * from data_quality_candidates
),

routed as (
    select
        {{ alert_id('alert_type', 'entity_type', 'entity_id', 'window_key') }} as alert_id,
        alert_type,
        entity_type,
        entity_id,
        entity_name,
        severity,
        case when severity = 'critical' then 'immediate' else 'digest' end as delivery_mode,
        title,
        details,
        factors,
        suggested_actions,
        metric_value,
        threshold_value,
        owner_user_id,
        owner_name,
        coalesce(owner_slack_user_id, {{ alert_fallback_channel('alert_type') }}) as recipient,
        case when cc_slack_user_id <> coalesce(owner_slack_user_id, '') then cc_slack_user_id end as cc_recipient,
        window_key,
        as_of_date,
        {{ alert_created_at() }} as created_at,
        {{ alert_urgency('severity') }} as urgency
    from candidates
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
