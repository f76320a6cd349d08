{#-
    The customer-success signals int_account_engagement_daily pivots into columns (one per
    signal and day) and account_engagement_features sums over windows: one list for both.
-#}
{% macro account_engagement_signals() -%}
    {{ return([
        'emails_delivered', 'emails_bounced', 'contacts_departed',
        'community_posts', 'feedback_posts', 'feature_request_tickets', 'competitor_mentions',
        'training_sessions_held', 'training_attended', 'training_no_shows', 'training_completed',
        'surveys_sent', 'surveys_answered', 'nps_score_sum',
    ]) }}
{%- endmacro %}
