{#-
    Every CRM user with their manager's name and Slack id: the one place a user meets their
    manager, for owners, copies and escalations in the marts and alerts.
-#}

with

users as (
    select * from {{ ref('stg_crm__users') }}
),

final as (
    select
        users.user_id,
        users.full_name,
        users.slack_user_id,
        users.user_role,
        users.team_name,
        users.is_active,
        users.manager_user_id,
        managers.full_name as manager_name,
        managers.slack_user_id as manager_slack_user_id,
        managers.is_active as manager_is_active
    from users
    left join users as managers
        on users.manager_user_id = managers.user_id
)

select * from final
