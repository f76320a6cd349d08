with

load_audit as (
    select * from {{ source('raw_meta', 'load_audit') }}
),

quarantine as (
    select * from {{ source('raw_meta', 'quarantine') }}
),

failures_per_batch as (
    select
        _batch_id,
        table_key,
        sum(case when {{ dq_reason_is('reason', 'completeness') }} then 1 else 0 end) as incomplete_rows,
        sum(case when {{ dq_reason_is('reason', 'validity') }} then 1 else 0 end) as invalid_rows,
        sum(case when {{ dq_reason_is('reason', 'consistency') }} then 1 else 0 end) as orphan_rows,
        sum(case when {{ dq_reason_is('reason', 'uniqueness') }} then 1 else 0 end) as duplicate_rows
    from quarantine
    group by _batch_id, table_key
),

batches as (
    select
        load_audit.table_key,
        cast(load_audit.started_at as date) as load_date,
        load_audit.started_at,
        load_audit.rows_read,
        load_audit.rows_loaded,
        load_audit.rows_quarantined,
        coalesce(load_audit.rows_unchanged, 0) as rows_unchanged,
        coalesce(failures_per_batch.incomplete_rows, 0) as incomplete_rows,
        coalesce(failures_per_batch.invalid_rows, 0) as invalid_rows,
        coalesce(failures_per_batch.orphan_rows, 0) as orphan_rows,
        coalesce(failures_per_batch.duplicate_rows, 0) as duplicate_rows
    from load_audit
    left join failures_per_batch
        on load_audit._batch_id = failures_per_batch._batch_id
            and load_audit.table_key = failures_per_batch.table_key
),

per_table_day as (
    select
        table_key,
        load_date,
        count(*) as files_loaded,
        min(started_at) as first_load_at,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        sum(rows_unchanged) as rows_unchanged,
        sum(incomplete_rows) as incomplete_rows,
        sum(invalid_rows) as invalid_rows,
        sum(orphan_rows) as orphan_rows,
        sum(duplicate_rows) as duplicate_rows
    from batches
    group by table_key, load_date
),

with_gaps as (
    select
        *,
        lag(first_load_at) over (partition by table_key order by load_date) as previous_load_at
    from per_table_day
),

metrics as (
    select
        table_key,
        load_date,
        files_loaded,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_unchanged,
        {{ dq_pct('incomplete_rows', 'rows_read') }} as completeness_pct,
        {{ dq_pct('invalid_rows', 'rows_read') }} as validity_pct,
        {{ dq_pct('orphan_rows', 'rows_read') }} as consistency_pct,
        {{ dq_pct('duplicate_rows', 'rows_read') }} as uniqueness_pct,
        {{ dq_timeliness_pct(dbt.datediff('previous_load_at', 'first_load_at', 'hour')) }}
            as timeliness_pct
    from with_gaps
),

final as (
    select
        table_key,
        load_date,
        cast(files_loaded as {{ dbt.type_bigint() }}) as files_loaded,
        cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_quarantined as {{ dbt.type_bigint() }}) as rows_quarantined,
        cast(rows_unchanged as {{ dbt.type_bigint() }}) as rows_unchanged,
        completeness_pct,
        validity_pct,
        consistency_pct,
        uniqueness_pct,
        timeliness_pct,
        (
            completeness_pct < {{ var('data_quality_min_pct', 95) }}
            or validity_pct < {{ var('data_quality_min_pct', 95) }}
            or consistency_pct < {{ var('data_quality_min_pct', 95) }}
            or uniqueness_pct < {{ var('data_quality_min_pct', 95) }}
            or timeliness_pct < {{ var('data_quality_min_pct', 95) }}
        ) as is_breach
    from metrics
)

select * from final
