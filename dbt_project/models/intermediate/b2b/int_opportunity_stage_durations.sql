{#-
    Stage visits from the stage history: each change opens a visit that the next change
    closes. A visit without a next change is the deal's current stage (open-ended).
-#}

with

stage_history as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

valid_changes as (
    select
        opportunity_id,
        stage_change_id,
        stage_name,
        amount,
        changed_at
    from stage_history
    where
        not is_future_dated
        and stage_name is not null
),

sequenced as (
    select
        opportunity_id,
        stage_change_id,
        stage_name,
        amount,
        changed_at as entered_at,
        lead(changed_at) over (
            partition by opportunity_id order by changed_at, stage_change_id
        ) as exited_at,
        row_number() over (
            partition by opportunity_id order by changed_at, stage_change_id
        ) as visit_number
    from valid_changes
),

final as (
    select
        stage_change_id,
        opportunity_id,
        stage_name,
        cast(visit_number as {{ dbt.type_int() }}) as visit_number,
        cast(
            case stage_name
                when 'prospecting' then 1
                when 'qualification' then 2
                when 'proposal' then 3
                when 'negotiation' then 4
                else 5
            end as {{ dbt.type_int() }}
        ) as stage_rank,
        stage_name in ('closed_won', 'closed_lost') as is_closed_stage,
        cast(amount as {{ dbt.type_float() }}) as amount,
        entered_at,
        exited_at,
        {{ safe_ratio(dbt.datediff('entered_at', 'exited_at', 'second') | trim, 86400) }} as duration_days,
        exited_at is null as is_current_stage
    from sequenced
)

select * from final
