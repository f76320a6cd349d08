{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    post_hook=["{{ prune_dates_outside_spine() }}"] + refresh_table_statistics(),
    on_schema_change='fail',
) }}
{#-
    Journey stage per unified customer per as-of date (the feature spine), point in time, so
    the journey knows the stage before the current one. Rules, first that holds:
    advocacy = a recent buyer (order within `journey_lapsing_after_days`) with either
    `journey_advocacy_min_orders` orders and a top-two monetary quintile, or
    `journey_referral_advocacy_min_orders` orders and a referral (someone they brought in);
    retention = 3+ orders; purchase = 1-2 orders; consideration = no order but, in 90 days, a
    cart add, a site search or more than `journey_consideration_min_product_views` product
    views (page views when the customer has no product views in 90 days); awareness otherwise.
    Incremental like the features it reads: a run builds the as-of dates of
    `as_of_dates_to_build` (the new date and the lookback's) and keeps the others.
-#}
{%- set lapsing_days = var('journey_lapsing_after_days') -%}
{%- set min_views = var('journey_consideration_min_product_views') -%}

with

order_features as (
    select * from {{ ref('customer_order_features') }}
),

engagement_features as (
    select * from {{ ref('customer_engagement_features') }}
),

signals as (
    select * from {{ ref('int_customer_intent_signals') }}
),

shop_customers as (
    select * from {{ ref('stg_commerce__customers') }}
),

customer_map as (
    select * from {{ ref('int_identity_customer_map') }}
),

as_of_dates as (
    {{ as_of_dates_to_build() }}
),

first_as_of_date as (
    select min(as_of_date) as as_of_date
    from as_of_dates
),

-- The feature rows of the dates this run builds.
built_order_features as (
    select order_features.*
    from order_features
    inner join as_of_dates
        on order_features.as_of_date = as_of_dates.as_of_date
),

built_engagement_features as (
    select engagement_features.*
    from engagement_features
    inner join as_of_dates
        on engagement_features.as_of_date = as_of_dates.as_of_date
),

customer_dates as (
    select
        customer_id,
        as_of_date
    from built_engagement_features
    union
    select
        customer_id,
        as_of_date
    from built_order_features
),

monetary_quintiles as (
    select
        customer_id,
        as_of_date,
        frequency,
        recency_days,
        cast(
            ceil(5 * cume_dist() over (partition by as_of_date order by monetary) - 0.000001)
            as {{ dbt.type_int() }}
        ) as monetary_score
    from built_order_features
),

signal_days as (
    select
        signals.customer_id,
        signals.signal_date,
        sum(case when signals.signal_type = 'product_view' then 1 else 0 end) as product_view_count,
        sum(case when signals.signal_type = 'search' then 1 else 0 end) as search_count
    from signals
    cross join first_as_of_date
    where signals.signal_date >= {{ dbt.dateadd('day', -90, 'first_as_of_date.as_of_date') }}
    group by signals.customer_id, signals.signal_date
),

signals_90d as (
    select
        signal_days.customer_id,
        as_of_dates.as_of_date,
        sum(signal_days.product_view_count) as product_views_90d,
        sum(signal_days.search_count) as searches_90d
    from signal_days
    inner join as_of_dates
        on
            signal_days.signal_date < as_of_dates.as_of_date
            and signal_days.signal_date >= {{ dbt.dateadd('day', -90, 'as_of_dates.as_of_date') }}
    group by signal_days.customer_id, as_of_dates.as_of_date
),

referrals as (
    select
        coalesce(referrer_map.customer_id, shop_customers.referred_by_customer_id) as referrer_customer_id,
        coalesce(referred_map.customer_id, shop_customers.customer_id) as referred_customer_id,
        shop_customers.created_at
    from shop_customers
    left join customer_map as referrer_map
        on shop_customers.referred_by_customer_id = referrer_map.commerce_customer_id
    left join customer_map as referred_map
        on shop_customers.customer_id = referred_map.commerce_customer_id
    where shop_customers.referred_by_customer_id is not null
),

referrals_as_of as (
    select
        referrals.referrer_customer_id as customer_id,
        as_of_dates.as_of_date,
        count(distinct referrals.referred_customer_id) as referral_count
    from referrals
    inner join as_of_dates
        on referrals.created_at < as_of_dates.as_of_date
    where referrals.referrer_customer_id <> referrals.referred_customer_id
    group by referrals.referrer_customer_id, as_of_dates.as_of_date
),

inputs as (
    select
        customer_dates.customer_id,
        customer_dates.as_of_date,
        coalesce(monetary_quintiles.frequency, 0) as lifetime_orders,
        monetary_quintiles.recency_days,
        monetary_quintiles.monetary_score,
        coalesce(built_engagement_features.cart_adds_90d, 0) as cart_adds_90d,
        coalesce(built_engagement_features.page_views_90d, 0) as page_views_90d,
        signals_90d.product_views_90d,
        coalesce(signals_90d.searches_90d, 0) as searches_90d,
        coalesce(referrals_as_of.referral_count, 0) as referral_count
    from customer_dates
    left join monetary_quintiles
        on
            customer_dates.customer_id = monetary_quintiles.customer_id
            and customer_dates.as_of_date = monetary_quintiles.as_of_date
    left join built_engagement_features
        on
            customer_dates.customer_id = built_engagement_features.customer_id
            and customer_dates.as_of_date = built_engagement_features.as_of_date
    left join signals_90d
        on
            customer_dates.customer_id = signals_90d.customer_id
            and customer_dates.as_of_date = signals_90d.as_of_date
    left join referrals_as_of
        on
            customer_dates.customer_id = referrals_as_of.customer_id
            and customer_dates.as_of_date = referrals_as_of.as_of_date
),

staged as (
    select
        *,
        case
            when
                lifetime_orders >= {{ var('journey_advocacy_min_orders') }}
                and monetary_score >= 4
                and recency_days <= {{ lapsing_days }}
                then 'advocacy'
            when
                lifetime_orders >= {{ var('journey_referral_advocacy_min_orders') }}
                and referral_count > 0
                and recency_days <= {{ lapsing_days }}
                then 'advocacy'
            when lifetime_orders >= 3 then 'retention'
            when lifetime_orders >= 1 then 'purchase'
            when
                cart_adds_90d > 0
                or searches_90d > 0
                or coalesce(product_views_90d, page_views_90d) > {{ min_views }}
                then 'consideration'
            else 'awareness'
        end as journey_stage
    from inputs
),

final as (
    select
        cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(journey_stage as {{ dbt.type_string() }}) as journey_stage,
        cast(lifetime_orders as {{ dbt.type_int() }}) as lifetime_orders,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(monetary_score as {{ dbt.type_int() }}) as monetary_score,
        cast(cart_adds_90d as {{ dbt.type_int() }}) as cart_adds_90d,
        cast(coalesce(product_views_90d, 0) as {{ dbt.type_int() }}) as product_views_90d,
        cast(searches_90d as {{ dbt.type_int() }}) as searches_90d,
        cast(referral_count as {{ dbt.type_int() }}) as referral_count
    from staged
)

select * from final
