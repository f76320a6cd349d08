{#-
    Who owns each CRM account. The account executive and the CSM as the CRM records them, and
    the responsible owner - whom alerts go to and escalations start from: the CSM while still
    active, else the account executive while still active (each detail from the first of them
    that has it). A user who has left owns no account. The manager is the active CSM's, else
    the active executive's, as the CRM names them.
-#}

with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

users as (
    select * from {{ ref('int_crm_users_with_managers') }}
),

assigned as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.owner_user_id as account_executive_user_id,
        executives.full_name as account_executive_name,
        executives.slack_user_id as account_executive_slack_user_id,
        accounts.csm_user_id,
        csms.full_name as csm_name,
        csms.slack_user_id as csm_slack_user_id,
        active_csms.user_id as active_csm_user_id,
        active_csms.full_name as active_csm_name,
        active_csms.slack_user_id as active_csm_slack_user_id,
        active_csms.manager_user_id as active_csm_manager_user_id,
        active_executives.user_id as active_executive_user_id,
        active_executives.full_name as active_executive_name,
        active_executives.slack_user_id as active_executive_slack_user_id,
        active_executives.manager_user_id as active_executive_manager_user_id
    from accounts
    left join users as executives
        on accounts.owner_user_id = executives.user_id
    left join users as csms
        on accounts.csm_user_id = csms.user_id
    left join users as active_executives
        on accounts.owner_user_id = active_executives.user_id and active_executives.is_active
    left join users as active_csms
        on accounts.csm_user_id = active_csms.user_id and active_csms.is_active
),

responsible as (
    select
        assigned.*,
        coalesce(assigned.active_csm_user_id, assigned.active_executive_user_id) as owner_user_id,
        coalesce(assigned.active_csm_name, assigned.active_executive_name) as owner_name,
        coalesce(assigned.active_csm_slack_user_id, assigned.active_executive_slack_user_id)
            as owner_slack_user_id,
        coalesce(assigned.active_csm_manager_user_id, assigned.active_executive_manager_user_id)
            as manager_user_id
    from assigned
),

final as (
    select
        responsible.account_id,
        responsible.account_name,
        responsible.account_executive_user_id,
        responsible.account_executive_name,
        responsible.account_executive_slack_user_id,
        responsible.csm_user_id,
        responsible.csm_name,
        responsible.csm_slack_user_id,
        responsible.owner_user_id,
        responsible.owner_name,
        responsible.owner_slack_user_id,
        managers.user_id as manager_user_id,
        managers.full_name as manager_name,
        managers.slack_user_id as manager_slack_user_id
    from responsible
    left join users as managers
        on responsible.manager_user_id = managers.user_id
)

select * from final
