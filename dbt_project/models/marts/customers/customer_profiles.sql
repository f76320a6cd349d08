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

run_date as (
    {{ run_as_of_date() }}
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
        cast(customers.customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(coalesce(
            identity_profiles.profile_key, {{ identity_node_key('commerce_customer', 'customers.customer_id') }}
        ) as {{ dbt.type_string() }}) as profile_key,
        cast(run_date.as_of_date as date) as as_of_date,
        cast({{ hash_pii('identity_profiles.primary_email') }} as {{ dbt.type_string() }}) as email_hash,
        cast({{ hash_pii('identity_profiles.primary_phone_last10') }} as {{ dbt.type_string() }}) as phone_hash,
        cast(coalesce(identity_profiles.distinct_loyalty_id_count, 0) > 0 as {{ dbt.type_boolean() }})
            as has_loyalty_card,
        cast(coalesce(identity_profiles.record_count, 1) as {{ dbt.type_int() }}) as source_record_count,
        cast(coalesce(identity_profiles.commerce_customer_count, 1) as {{ dbt.type_int() }}) as commerce_record_count,
        cast(coalesce(identity_profiles.merge_decision, 'orders_only') as {{ dbt.type_string() }}) as merge_decision,
        cast(identity_profiles.identity_strength_score as numeric(4, 2)) as identity_strength_score,
        cast(scored.first_order_date as date) as first_order_date,
        cast(scored.last_order_date as date) as last_order_date,
        cast(coalesce(scored.frequency, 0) as {{ dbt.type_int() }}) as lifetime_orders,
        cast(coalesce(scored.monetary, 0) as numeric(18, 2)) as lifetime_revenue,
        cast(scored.average_order_value as numeric(18, 2)) as average_order_value,
        cast(scored.recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(scored.frequency as {{ dbt.type_int() }}) as frequency,
        cast(scored.monetary as numeric(18, 2)) as monetary,
        cast(scored.recency_score as {{ dbt.type_int() }}) as recency_score,
        cast(scored.frequency_score as {{ dbt.type_int() }}) as frequency_score,
        cast(scored.monetary_score as {{ dbt.type_int() }}) as monetary_score,
        cast(
            {{ rfm_segment('scored.recency_score', 'scored.frequency_score', 'scored.monetary_score') }}
            as {{ dbt.type_string() }}
        ) as rfm_segment
    from customers
    cross join run_date
    left join identity_profiles
        on customers.customer_id = identity_profiles.customer_id
    left join scored
        on customers.customer_id = scored.customer_id
)

select * from final
