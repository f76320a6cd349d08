{#-
    Commerce churn label per unified customer per as-of date: true when the customer, who had
    ordered before the as-of date, places no order in the `churn_horizon_days` days from it.
    Only matured horizons (see macro future_order_labels). Never a feature: training joins it
    to the feature models on (customer_id, as_of_date).
-#}
with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

future_orders as (
    {{ future_order_labels('order_days', 'as_of_dates', var('churn_horizon_days')) }}
),

final as (
    select
        customer_id,
        as_of_date,
        cast({{ var('churn_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days,
        horizon_end_date,
        cast(future_order_count as {{ dbt.type_int() }}) as future_order_count,
        future_order_count = 0 as is_churned
    from future_orders
)

select * from final
