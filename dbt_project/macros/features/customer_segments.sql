{#-
    RFM segment from 1-5 recency, frequency and monetary scores (5 = best), by rules read top
    to bottom. Customers without orders (null scores) are prospects.
-#}
{% macro rfm_segment(recency_score, frequency_score, monetary_score) -%}
    case
        when {{ recency_score }} is null then 'prospect'
        when {{ recency_score }} >= 4 and {{ frequency_score }} >= 4 and {{ monetary_score }} >= 4 then 'champions'
        when {{ recency_score }} >= 3 and {{ frequency_score }} >= 3 then 'loyal'
        when {{ recency_score }} >= 4 and {{ frequency_score }} <= 2 then 'new_customers'
        when {{ recency_score }} >= 3 then 'potential_loyalists'
        when {{ frequency_score }} >= 4 then 'cant_lose_them'
        when {{ frequency_score }} >= 3 then 'at_risk'
        else 'hibernating'
    end
{%- endmacro %}

{#-
    A 1-5 score from the customer's rank among all scored rows: ceil(5 * cume_dist), so ties
    share a score and the result is deterministic. `order_by` sorts worst to best. The small
    tolerance keeps float error (5 * 0.6 = 3.0000000000000004) from bumping a score.
-#}
{% macro quintile_score(order_by) -%}
    cast(ceil(5 * cume_dist() over (order by {{ order_by }}) - 0.000001) as {{ dbt.type_int() }})
{%- endmacro %}
