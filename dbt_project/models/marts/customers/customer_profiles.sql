{#-
    One row per unified customer (shop customers after identity resolution, plus customers
    known from orders alone): hashed identifiers, identity strength, order history and RFM
    segment as of the run's as-of date (the latest spine date).
-#}
with

identity_profiles as (
    select * from {{ ref('int_identity_profiles') }}
),

order_features as (
    select * from {{ ref('customer_order_features') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

run_date as (
    select as_of_date from as_of_dates
    where is_latest
),

latest_order_features as (
    select order_features.*
    from order_features
    inner join run_date
        on order_features.as_of_date = run_date.as_of_date
),

customers as (
    select customer_id from identity_profiles
    where customer_id is not null
    union
    select customer_id from latest_order_features
),

scored as (
    select
        latest_order_features.*,
        {{ quintile_score('recency_days desc') }} as recency_score,
        {{ quintile_score('frequency') }} as frequency_score,
        {{ quintile_score('monetary') }} as monetary_score
    from latest_order_features
),

final as (
    select
        cast(customers.customer_id as bigint) as customer_id,
        cast(coalesce(
            identity_profiles.profile_key, {{ identity_node_key('commerce_customer', 'customers.customer_id') }}
        ) as varchar) as profile_key,
        cast(run_date.as_of_date as date) as as_of_date,
        cast({{ hash_pii('identity_profiles.primary_email') }} as varchar) as email_hash,
        cast({{ hash_pii('identity_profiles.primary_phone_last10') }} as varchar) as phone_hash,
        cast(coalesce(identity_profiles.distinct_loyalty_id_count, 0) > 0 as boolean) as has_loyalty_card,
        cast(coalesce(identity_profiles.record_count, 1) as integer) as source_record_count,
        cast(coalesce(identity_profiles.commerce_customer_count, 1) as integer) as commerce_record_count,
        cast(coalesce(identity_profiles.merge_decision, 'orders_only') as varchar) as merge_decision,
        cast(identity_profiles.identity_strength_score as numeric(4, 2)) as identity_strength_score,
        cast(scored.first_order_date as date) as first_order_date,
        cast(scored.last_order_date as date) as last_order_date,
        cast(coalesce(scored.frequency, 0) as integer) as lifetime_orders,
        cast(coalesce(scored.monetary, 0) as numeric(18, 2)) as lifetime_revenue,
        cast(scored.average_order_value as numeric(18, 2)) as average_order_value,
        cast(scored.recency_days as integer) as recency_days,
        cast(scored.frequency as integer) as frequency,
        cast(scored.monetary as numeric(18, 2)) as monetary,
        cast(scored.recency_score as integer) as recency_score,
        cast(scored.frequency_score as integer) as frequency_score,
        cast(scored.monetary_score as integer) as monetary_score,
        cast({{ rfm_segment('scored.recency_score', 'scored.frequency_score', 'scored.monetary_score') }} as varchar)
            as rfm_segment
    from customers
    cross join run_date
    left join identity_profiles
        on customers.customer_id = identity_profiles.customer_id
    left join scored
        on customers.customer_id = scored.customer_id
)

select * from final
