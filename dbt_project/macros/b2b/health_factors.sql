{#-
    The account health score's risk factors and opportunities (the copilot's health score model:
    `risk_factors`, `opportunities`). Each rule names a factor key, when it applies (a condition
    on account_health's account_signals columns) and how strongly (a severity in [0, 1]);
    account_health lists the keys of the rules that apply, strongest first.
-#}

{%- macro account_health_risk_factors() -%}
    {{ return([
        {'name': 'usage_decline',
         'condition': 'event_count_90d > 0 and usage_30d_vs_90d_ratio < ' ~ var('alert_usage_decline_ratio'),
         'severity': '1 - usage_30d_vs_90d_ratio'},
        {'name': 'login_decline', 'condition': 'login_decline_pct_30d >= 0.3',
         'severity': 'login_decline_pct_30d'},
        {'name': 'feature_abandonment', 'condition': 'feature_abandonment_rate_30d >= 0.3',
         'severity': 'feature_abandonment_rate_30d'},
        {'name': 'low_email_engagement',
         'condition': 'emails_delivered_90d >= 5 and email_open_rate_90d < 0.15',
         'severity': '1 - email_open_rate_90d / 0.15'},
        {'name': 'email_bounces', 'condition': 'email_bounce_rate_90d >= 0.1',
         'severity': 'least(1.0, 2 * email_bounce_rate_90d)'},
        {'name': 'stakeholder_turnover', 'condition': 'stakeholder_turnover_rate_180d >= 0.2',
         'severity': 'stakeholder_turnover_rate_180d'},
        {'name': 'competitor_mentions', 'condition': 'competitor_mentions_90d >= 1',
         'severity': 'least(1.0, 0.5 + 0.25 * competitor_mentions_90d)'},
        {'name': 'survey_score_decline', 'condition': 'nps_change_180d <= -2',
         'severity': 'least(1.0, -nps_change_180d / 5.0)'},
        {'name': 'low_nps', 'condition': 'nps_avg_180d < 7',
         'severity': '(7 - nps_avg_180d) / 7.0'},
        {'name': 'survey_response_decline', 'condition': 'survey_response_rate_change_180d <= -0.3',
         'severity': 'least(1.0, -survey_response_rate_change_180d)'},
        {'name': 'training_no_shows', 'condition': 'training_no_shows_90d >= 2',
         'severity': 'least(1.0, training_no_shows_90d / 4.0)'},
        {'name': 'onboarding_incomplete', 'condition': 'onboarding_completion_rate < 1',
         'severity': '1 - onboarding_completion_rate'},
        {'name': 'community_decline', 'condition': 'community_posts_change_90d <= -3',
         'severity': 'least(1.0, -community_posts_change_90d / 10.0)'},
        {'name': 'support_escalations', 'condition': 'escalations_90d >= 2',
         'severity': 'least(1.0, escalations_90d / 4.0)'},
        {'name': 'low_csat', 'condition': 'csat_avg_90d < 3.5',
         'severity': '(3.5 - csat_avg_90d) / 2.5'},
        {'name': 'payment_issues',
         'condition': 'late_paid_invoices_180d + invoices_with_failed_payment_90d >= 1',
         'severity': 'least(1.0, '
            ~ safe_ratio('late_paid_invoices_180d + invoices_with_failed_payment_90d', 3) ~ ')'},
    ]) }}
{%- endmacro -%}

{%- macro account_health_opportunities() -%}
    {{ return([
        {'name': 'seat_expansion', 'condition': 'seat_count > 0 and active_users_30d >= 0.9 * seat_count',
         'severity': 'least(1.0, 1.0 * active_users_30d / seat_count)'},
        {'name': 'usage_growth',
         'condition': 'event_count_90d > 0 and usage_30d_vs_90d_ratio >= ' ~ var('alert_upsell_min_usage_ratio'),
         'severity': 'least(1.0, usage_30d_vs_90d_ratio / 2.0)'},
        {'name': 'advocacy', 'condition': 'nps_avg_180d >= 9', 'severity': 'nps_avg_180d / 10.0'},
        {'name': 'integration_adoption',
         'condition': 'coalesce(integration_usage_count_90d, 0) = 0 and event_count_30d > 0',
         'severity': '0.5'},
        {'name': 'feature_adoption',
         'condition': 'feature_adoption_rate_30d < 0.5 and active_days_30d >= 10',
         'severity': '1 - feature_adoption_rate_30d'},
    ]) }}
{%- endmacro -%}

{#-
    One row per account of `relation` with at least one applying rule: `factor_list`, a JSON
    array of the rule names, the most severe first (ties by name), at most `limit` of them.
-#}
{%- macro account_health_factor_list(relation, rules, limit=none) -%}
    select
        ranked.account_id,
        {{ dbt.concat([
            "'['",
            dbt.listagg(dbt.concat(["'\"'", 'ranked.factor_name', "'\"'"]), "','",
                        'order by ranked.factor_rank'),
            "']'",
        ]) }} as factor_list
    from (
        select
            candidates.account_id,
            candidates.factor_name,
            row_number() over (
                partition by candidates.account_id
                order by candidates.severity desc, candidates.factor_name
            ) as factor_rank
        from (
            {%- for rule in rules %}
                select
                    account_id,
                    cast('{{ rule.name }}' as {{ dbt.type_string() }}) as factor_name,
                    cast({{ rule.severity }} as {{ dbt.type_float() }}) as severity
                from {{ relation }}
                where coalesce({{ rule.condition }}, false)
                {{ 'union all' if not loop.last }}
            {%- endfor %}
        ) as candidates
    ) as ranked
    {%- if limit %}
    where ranked.factor_rank <= {{ limit }}
    {%- endif %}
    group by ranked.account_id
{%- endmacro -%}
