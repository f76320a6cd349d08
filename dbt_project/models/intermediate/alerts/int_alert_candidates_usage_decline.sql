{#-
    Usage decline: an account whose product events of the last 30 days fell under var
    `alert_usage_decline_ratio` of its 90-day monthly pace (with at least var
    `alert_usage_decline_min_events_90d` events in 90 days); high under half that ratio.
    To the account's responsible owner.
-#}
{%- set ratio = var('alert_usage_decline_ratio') -%}

with

run_date as (
    {{ run_as_of_date() }}
),

account_health as (
    select * from {{ ref('account_health') }}
),

usage_features as (
    select * from {{ ref('account_usage_features') }}
),

owners as (
    select * from {{ ref('int_account_owners') }}
),

declining_usage as (
    select usage_features.*
    from usage_features
    inner join run_date
        on usage_features.as_of_date = run_date.as_of_date
    where
        usage_features.usage_30d_vs_90d_ratio < {{ ratio }}
        and usage_features.event_count_90d >= {{ var('alert_usage_decline_min_events_90d') }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='usage_decline',
            entity_type='account',
            entity_id='account_health.account_id',
            entity_name='account_health.account_name',
            severity="case when declining_usage.usage_30d_vs_90d_ratio < " ~ ratio ~ " / 2 then 'high'
                else 'medium' end",
            title="'Usage Decline: ' || account_health.account_name || ' (' || "
                ~ alert_percent('1 - declining_usage.usage_30d_vs_90d_ratio') ~ " || ' below pace)'",
            details=alert_lines([
                "'Events, last 30 days: ' || " ~ alert_number('declining_usage.event_count_30d')
                    ~ " || ' (90-day monthly pace: ' || " ~ alert_number('declining_usage.event_count_90d / 3.0')
                    ~ " || ')'",
                "'Active users, last 30 days: ' || " ~ alert_number('declining_usage.active_users_30d'),
                "'MRR: ' || " ~ alert_money('account_health.mrr'),
            ]),
            factors=alert_lines([
                "'Weekly usage trend: ' || " ~ alert_percent('declining_usage.usage_trend_pct') ~ " || ' per week'",
                "'Days since last usage: ' || " ~ alert_number('declining_usage.days_since_last_usage'),
                "'Features used, last 30 days: ' || " ~ alert_number('declining_usage.features_used_30d'),
            ]),
            suggested_actions=alert_lines([
                "'Check in with the main users about blockers'",
                "'Offer a training session on unused features'",
                "'Look for open support tickets or outages'",
            ]),
            metric_value='declining_usage.usage_30d_vs_90d_ratio',
            threshold_value=ratio,
            owner_user_id='owners.owner_user_id',
            owner_name='owners.owner_name',
            owner_slack_user_id='owners.owner_slack_user_id',
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from account_health
    cross join run_date
    inner join declining_usage
        on account_health.account_id = declining_usage.account_id
    left join owners
        on account_health.account_id = owners.account_id
)

select * from final
