{#-
    Upsell opportunity: a healthy account (account_health overall score at least var
    `alert_upsell_min_health_score`) whose last-30-day usage runs at least var
    `alert_upsell_min_usage_ratio` times its 90-day pace, and whose churn risk is not medium or
    worse. To the account's responsible owner.
-#}

with

run_date as (
    {{ run_as_of_date() }}
),

account_health as (
    select * from {{ ref('account_health') }}
),

risk_scores as (
    select * from {{ ref('account_risk_scores') }}
),

owners as (
    select * from {{ ref('int_account_owners') }}
),

growing_accounts as (
    select account_health.*
    from account_health
    left join risk_scores
        on account_health.account_id = risk_scores.account_id
    where
        account_health.overall_score >= {{ var('alert_upsell_min_health_score') }}
        and account_health.usage_30d_vs_90d_ratio >= {{ var('alert_upsell_min_usage_ratio') }}
        and coalesce(risk_scores.churn_probability, 0) <= {{ var('churn_risk_thresholds')['medium'] }}
),

final as (
    select
        {{ alert_candidate(
            alert_type='upsell_opportunity',
            entity_type='account',
            entity_id='growing_accounts.account_id',
            entity_name='growing_accounts.account_name',
            severity="'medium'",
            title="'Upsell Opportunity: ' || growing_accounts.account_name || ' (' || "
                ~ alert_money('growing_accounts.mrr') ~ " || ' MRR)'",
            details=alert_lines([
                "'Health: ' || " ~ alert_number('100 * growing_accounts.overall_score') ~ " || '/100'",
                "'MRR: ' || " ~ alert_money('growing_accounts.mrr'),
                "'Active users, last 30 days: ' || " ~ alert_number('growing_accounts.active_users_30d'),
            ]),
            factors=alert_lines([
                "'Usage ' || " ~ alert_percent('growing_accounts.usage_30d_vs_90d_ratio - 1')
                    ~ " || ' above the 90-day pace'",
                "'Power users: ' || " ~ alert_percent('growing_accounts.power_user_ratio_30d')
                    ~ " || ' of active users'",
                "'Feature adoption: ' || " ~ alert_percent('growing_accounts.feature_adoption_rate_30d'),
            ]),
            suggested_actions=alert_lines([
                "'Propose the next plan or more seats'",
                "'Introduce the features the account does not use yet'",
                "'Schedule an expansion call with the decision maker'",
            ]),
            metric_value='growing_accounts.usage_30d_vs_90d_ratio',
            threshold_value=var('alert_upsell_min_usage_ratio'),
            owner_user_id='owners.owner_user_id',
            owner_name='owners.owner_name',
            owner_slack_user_id='owners.owner_slack_user_id',
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from growing_accounts
    cross join run_date
    left join owners
        on growing_accounts.account_id = owners.account_id
)

select * from final
