{#- Small, portable expressions shared by the B2B feature and mart models. -#}

{#- The expression limited to [0, 1]; null stays null (greatest/least would skip it). -#}
{% macro b2b_clamp_unit(expression) -%}
    case when ({{ expression }}) is not null then greatest(least({{ expression }}, 1.0), 0.0) end
{%- endmacro %}

{#-
    The (account, as-of date) grain every account feature model shares: each account from the
    first as-of date after its creation. `accounts` and `as_of_dates` are CTE names.
-#}
{% macro b2b_account_spine(accounts, as_of_dates) -%}
    select
        {{ accounts }}.account_id,
        {{ as_of_dates }}.as_of_date
    from {{ accounts }}
    inner join {{ as_of_dates }}
        on cast({{ accounts }}.created_at as date) < {{ as_of_dates }}.as_of_date
    where
        not {{ accounts }}.is_future_dated
{%- endmacro %}
