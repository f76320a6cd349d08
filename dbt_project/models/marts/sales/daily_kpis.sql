{#-
    The daily KPIs the anomaly check watches, one value per KPI and day: orders and revenue
    (shop orders), usage events (product usage), new pipeline (amount of deals opened in the
    trailing 7 days) and win rate (deals won of those closed in the trailing 28 days, with at
    least 5 closed). Days from each KPI's first to its last day with data, before the run's
    as-of date, zero-filled between; a source not loaded has no rows, and one that stopped
    has none after its last day with at least a tenth of its average activity.
-#}
{%- set history_days = var('anomaly_lookback_days') + 7 * var('anomaly_baseline_weeks') + 28 %}
{%- set kpi_source_names = {
    'orders': 'orders',
    'revenue': 'orders',
    'usage_events': 'usage',
    'new_pipeline_7d': 'opened_deals',
    'win_rate_28d': 'closed_deals',
} %}
{#- KPIs that are one day's value (KPI, daily CTE, column), and each source's activity column. -#}
{%- set same_day_kpis = [
    ('orders', 'order_days', 'order_count'),
    ('revenue', 'order_days', 'revenue'),
    ('usage_events', 'usage_days', 'usage_events'),
] %}
{%- set source_activity_columns = [
    ('orders', 'order_days', 'order_count'),
    ('usage', 'usage_days', 'usage_events'),
    ('opened_deals', 'opened_days', 'opened_deals'),
    ('closed_deals', 'closed_days', 'closed_deals'),
] %}

with

run_date as (
    {{ run_as_of_date() }}
),

orders as (
    select * from {{ ref('int_commerce_orders') }}
),

usage_daily as (
    select * from {{ ref('int_account_usage_daily') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

day_offsets as (
    select day_offset
    from {{ integer_series(1, history_days, 'day_offset') }}
),

calendar as (
    select cast({{ dbt.dateadd('day', '-1 * day_offsets.day_offset', 'run_date.as_of_date') }} as date) as kpi_date
    from day_offsets
    cross join run_date
),

order_days as (
    select
        order_date as kpi_date,
        count(*) as order_count,
        sum(order_total) as revenue
    from orders
    group by order_date
),

usage_days as (
    select
        usage_date as kpi_date,
        sum(event_count) as usage_events
    from usage_daily
    group by usage_date
    having sum(event_count) > 0
),

opened_days as (
    select
        cast(opened_at as date) as kpi_date,
        count(*) as opened_deals,
        sum(coalesce(amount, 0)) as opened_amount
    from opportunities
    group by cast(opened_at as date)
),

closed_days as (
    select
        closed_date as kpi_date,
        count(*) as closed_deals,
        sum(case when is_won then 1 else 0 end) as won_deals
    from opportunities
    where closed_date is not null
    group by closed_date
),

kpi_values as (
    {%- for kpi_name, daily_relation, value_column in same_day_kpis %}
        select
            '{{ kpi_name }}' as kpi_name,
            calendar.kpi_date,
            coalesce({{ daily_relation }}.{{ value_column }}, 0) as kpi_value
        from calendar
        left join {{ daily_relation }}
            on calendar.kpi_date = {{ daily_relation }}.kpi_date
        union all
    {%- endfor %}
    select
        'new_pipeline_7d' as kpi_name,
        calendar.kpi_date,
        coalesce(sum(opened_days.opened_amount), 0) as kpi_value
    from calendar
    left join opened_days
        on
            calendar.kpi_date >= opened_days.kpi_date
            and {{ days_before('calendar.kpi_date', 7) }} < opened_days.kpi_date
    group by calendar.kpi_date
    union all
    select
        'win_rate_28d' as kpi_name,
        calendar.kpi_date,
        case
            when sum(closed_days.closed_deals) >= 5
                then {{ safe_ratio('sum(closed_days.won_deals)', 'sum(closed_days.closed_deals)') }}
        end as kpi_value
    from calendar
    left join closed_days
        on
            calendar.kpi_date >= closed_days.kpi_date
            and {{ days_before('calendar.kpi_date', 28) }} < closed_days.kpi_date
    group by calendar.kpi_date
),

source_activity as (
    {%- for source_name, daily_relation, activity_column in source_activity_columns %}
        select
            '{{ source_name }}' as source_name,
            kpi_date,
            {{ activity_column }} as activity
        from {{ daily_relation }}
        {{- ' union all' if not loop.last }}
    {%- endfor %}
),

source_activity_levels as (
    select
        source_activity.*,
        avg(source_activity.activity) over (partition by source_activity.source_name) as average_activity
    from source_activity
),

source_data_ranges as (
    {#-
        Each source's days with data: from its first day to its last day with at least a tenth
        of its average activity, so that a source that stopped (or never loaded) is not a run
        of zeros, and a stray late or future-dated row does not stretch it.
    -#}
    select
        source_name,
        min(kpi_date) as first_date,
        max(case when activity >= 0.1 * average_activity then kpi_date end) as last_date
    from source_activity_levels
    group by source_name
),

kpi_sources as (
    {%- for kpi_name, source_name in kpi_source_names.items() %}
        select
            '{{ kpi_name }}' as kpi_name,
            '{{ source_name }}' as source_name
        {{- ' union all' if not loop.last }}
    {%- endfor %}
),

kpi_data_ranges as (
    select
        kpi_sources.kpi_name,
        source_data_ranges.first_date,
        source_data_ranges.last_date
    from kpi_sources
    inner join source_data_ranges
        on kpi_sources.source_name = source_data_ranges.source_name
),

final as (
    select
        cast(kpi_values.kpi_name as {{ dbt.type_string() }}) as kpi_name,
        kpi_values.kpi_date,
        cast(kpi_values.kpi_value as {{ dbt.type_float() }}) as kpi_value
    from kpi_values
    inner join kpi_data_ranges
        on
            kpi_values.kpi_name = kpi_data_ranges.kpi_name
            and kpi_values.kpi_date between kpi_data_ranges.first_date and kpi_data_ranges.last_date
    cross join run_date
    where kpi_values.kpi_date < run_date.as_of_date
)

select * from final
