{#-
    Churn risk of B2B accounts: the score band is the severity (medium and up alert). To the
    account's responsible owner (int_account_owners), with their manager copied when critical.
-#}

with

run_date as (
    {{ run_as_of_date() }}
),

risk_scores as (
    select * from {{ ref('account_risk_scores') }}
),

account_health as (
    select * from {{ ref('account_health') }}
),

owners as (
    select * from {{ ref('int_account_owners') }}
),

at_risk_accounts as (
    select * from risk_scores
    where churn_risk_band in ('critical', 'high', 'medium')
),

final as (
    select
        {{ alert_candidate(
            alert_type='churn_risk',
            entity_type='account',
            entity_id='at_risk_accounts.account_id',
            entity_name='coalesce(owners.account_name, at_risk_accounts.account_id)',
            severity='at_risk_accounts.churn_risk_band',
            title="'Churn Risk: ' || coalesce(owners.account_name, at_risk_accounts.account_id)
                || ' (' || at_risk_accounts.churn_risk_band || ')'",
            details=alert_lines([
                "'Churn probability: ' || " ~ alert_percent('at_risk_accounts.churn_probability')
                    ~ " || coalesce(' in the next ' || " ~ alert_number('at_risk_accounts.churn_horizon_days')
                    ~ " || ' days', '')",
                "'MRR: ' || " ~ alert_money('account_health.mrr'),
                "'Health: ' || account_health.health_status || ' (' || "
                    ~ alert_number('100 * account_health.overall_score')
                    ~ " || '/100, weakest: ' || account_health.lowest_component || ')'",
            ]),
            factors=alert_lines([
                alert_model_factor('at_risk_accounts.factor_1_name', 'at_risk_accounts.factor_1_contribution'),
                alert_model_factor('at_risk_accounts.factor_2_name', 'at_risk_accounts.factor_2_contribution'),
                alert_model_factor('at_risk_accounts.factor_3_name', 'at_risk_accounts.factor_3_contribution'),
            ]),
            suggested_actions=alert_lines([
                "case at_risk_accounts.churn_risk_band
                    when 'critical' then 'Schedule an executive business review this week'
                    when 'high' then 'Call the main contact within 24 hours'
                    else 'Review the account at the next check-in'
                end",
                "'Address the weakest health component: ' || account_health.lowest_component",
                "'Confirm renewal intent and open issues'",
            ]),
            metric_value='at_risk_accounts.churn_probability',
            threshold_value=alert_band_threshold('at_risk_accounts.churn_risk_band'),
            owner_user_id='owners.owner_user_id',
            owner_name='owners.owner_name',
            owner_slack_user_id='owners.owner_slack_user_id',
            cc_slack_user_id="case when at_risk_accounts.churn_risk_band = 'critical'
                then owners.manager_slack_user_id end",
            window_key='run_date.as_of_date',
            as_of_date='run_date.as_of_date',
        ) }}
    from at_risk_accounts
    cross join run_date
    left join owners
        on at_risk_accounts.account_id = owners.account_id
    left join account_health
        on at_risk_accounts.account_id = account_health.account_id
)

select * from final
