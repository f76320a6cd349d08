{#-
    Orders of each customer in the `horizon_days` days from each as-of date on (the as-of day
    included, since features stop just before it), for customers who had ordered before that
    date. Only as-of dates whose horizon has fully matured are kept: as_of_date + horizon must
    not pass the data's end, the earlier of the run's as-of date and the day after the latest
    order before it. Columns: customer_id, as_of_date, horizon_end_date, future_order_count,
    future_revenue. Only the as-of dates this run builds are labelled (as_of_dates_to_build,
    looking back the horizon plus var `late_arriving_lookback_days`, since a label changes
    until its horizon is complete); maturity is still judged on the whole spine.
-#}
{% macro future_order_labels(order_days_relation, as_of_relation, horizon_days) -%}
    select
        buyers.customer_id,
        as_of_list.as_of_date,
        cast({{ dbt.dateadd('day', horizon_days, 'as_of_list.as_of_date') }} as date) as horizon_end_date,
        coalesce(sum(future_days.order_count), 0) as future_order_count,
        coalesce(sum(future_days.revenue), 0) as future_revenue
    from (
        select
            customer_id,
            min(order_date) as first_order_date
        from {{ order_days_relation }}
        group by customer_id
    ) as buyers
    inner join (
        {{ as_of_dates_to_build(horizon_days + var('late_arriving_lookback_days')) }}
    ) as as_of_list
        on buyers.first_order_date < as_of_list.as_of_date
    left join {{ order_days_relation }} as future_days
        on
            buyers.customer_id = future_days.customer_id
            and future_days.order_date >= as_of_list.as_of_date
            and future_days.order_date < {{ dbt.dateadd('day', horizon_days, 'as_of_list.as_of_date') }}
    where
        {{ dbt.dateadd('day', horizon_days, 'as_of_list.as_of_date') }} <= (
            select
                least(
                    max(run_dates.as_of_date),
                    {{ dbt.dateadd('day', 1, 'max(observed.order_date)') }}
                )
            from {{ as_of_relation }} as run_dates
            cross join (
                select max(order_date) as order_date
                from {{ order_days_relation }}
                where order_date < (select max(as_of_date) from {{ as_of_relation }})
            ) as observed
        )
    group by buyers.customer_id, as_of_list.as_of_date
{%- endmacro %}
