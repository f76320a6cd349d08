{#-
    Usage decline: an account (account_health) whose product events of the last 30 days fell
    under var `alert_usage_decline_ratio` of its 90-day monthly pace, with at least var
    `alert_usage_decline_min_events_90d` events in 90 days; high under half that ratio. To the
    account's responsible owner.
-#}
{%- set ratio = var('alert_usage_decline_ratio') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

account_health as (
    select * from {{ ref('account_health') }}
),

owners as (
    select * from {{ ref('int_account_owners') }}
),

declining_accounts as (
    select * from account_health
    where
        usage_30d_vs_90d_ratio < {{ ratio }}
        and event_count_90d >= {{ var('alert_usage_decline_min_events_90d') }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='usage_decline',
            entity_type='account',
            entity_id='declining_accounts.account_id',
            entity_name='declining_accounts.account_name',
            severity="case when declining_accounts.usage_30d_vs_90d_ratio < " ~ ratio ~ " / 2 then 'high'
                else 'medium' end",
            title="'Usage Decline: ' || declining_accounts.account_name || ' (' || "
                ~ alert_percent('1 - declining_accounts.usage_30d_vs_90d_ratio') ~ " || ' below pace)'",
            details=alert_lines([
                "'Events, last 30 days: ' || " ~ alert_number('declining_accounts.event_count_30d')
                    ~ " || ' (90-day monthly pace: ' || " ~ alert_number('declining_accounts.event_count_90d / 3.0')
                    ~ " || ')'",
                "'Active users, last 30 days: ' || " ~ alert_number('declining_accounts.active_users_30d'),
                "'MRR: ' || " ~ alert_money('declining_accounts.mrr'),
            ]),
            factors=alert_lines([
                "'Weekly usage trend: ' || " ~ alert_percent('declining_accounts.usage_trend_pct') ~ " || ' per week'",
                "'Days since last usage: ' || " ~ alert_number('declining_accounts.days_since_last_usage'),
                "'Features used, last 30 days: ' || " ~ alert_number('declining_accounts.features_used_30d'),
            ]),
            suggested_actions=alert_lines([
                "'Check in with the main users about blockers'",
                "'Offer a training session on unused features'",
                "'Look for open support tickets or outages'",
            ]),
            metric_value='declining_accounts.usage_30d_vs_90d_ratio',
            threshold_value=ratio,
            owner_user_id='owners.owner_user_id',
            owner_name='owners.owner_name',
            owner_slack_user_id='owners.owner_slack_user_id',
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from declining_accounts
    cross join run_date
    left join owners
        on declining_accounts.account_id = owners.account_id
)

select * from final
