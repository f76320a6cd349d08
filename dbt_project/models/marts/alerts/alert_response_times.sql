{#-
    How fast alerts are acknowledged and resolved, per alert type and owner: counts by outcome,
    and the average and median hours from raising an alert to its first response (acknowledged,
    started, resolved or dismissed) and to its resolution. Alerts without an owner (channel
    alerts) are grouped under owner_key '(unowned)'.
-#}
with

alert_status as (
    select * from {{ ref('alert_status') }}
),

response_times as (
    select
        alert_type,
        coalesce(owner_user_id, '(unowned)') as owner_key,
        max(owner_name) as owner_name,
        count(*) as alert_count,
        sum(case when acknowledged_at is not null then 1 else 0 end) as acknowledged_count,
        sum(case when status = 'resolved' then 1 else 0 end) as resolved_count,
        sum(case when status = 'dismissed' then 1 else 0 end) as dismissed_count,
        sum(case when is_open then 1 else 0 end) as open_count,
        avg(hours_to_acknowledge) as avg_hours_to_acknowledge,
        percentile_cont(0.5) within group (order by hours_to_acknowledge)
            as median_hours_to_acknowledge,
        avg(hours_to_resolve) as avg_hours_to_resolve,
        percentile_cont(0.5) within group (order by hours_to_resolve) as median_hours_to_resolve
    from alert_status
    group by alert_type, coalesce(owner_user_id, '(unowned)')
),

final as (
    select
        alert_type,
        owner_key,
        owner_name,
        cast(alert_count as {{ dbt.type_int() }}) as alert_count,
        cast(acknowledged_count as {{ dbt.type_int() }}) as acknowledged_count,
        cast(resolved_count as {{ dbt.type_int() }}) as resolved_count,
        cast(dismissed_count as {{ dbt.type_int() }}) as dismissed_count,
        cast(open_count as {{ dbt.type_int() }}) as open_count,
        cast(avg_hours_to_acknowledge as {{ dbt.type_float() }}) as avg_hours_to_acknowledge,
        cast(median_hours_to_acknowledge as {{ dbt.type_float() }}) as median_hours_to_acknowledge,
        cast(avg_hours_to_resolve as {{ dbt.type_float() }}) as avg_hours_to_resolve,
        cast(median_hours_to_resolve as {{ dbt.type_float() }}) as median_hours_to_resolve
    from response_times
)

select * from final
