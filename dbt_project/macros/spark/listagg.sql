{#-
    dbt.listagg on Spark, in order. dbt-spark's own ignores the order (a warning) and returns
    '' rather than null for a group without values. Here the values travel in structs led by
    their sort keys, `array_sort` orders them and `transform` keeps the values; `distinct`
    (whose order is the value itself, as SQL requires) collects each value once. Order keys
    are ascending expressions without commas; anything else stops the compile.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause=none, limit_num=none) -%}
    {%- set measure = measure | trim -%}
    {%- set is_distinct = measure.lower().startswith('distinct ') -%}
    {%- set value = measure[9:] if is_distinct else measure -%}
    {%- set keys = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if not clause.lower().startswith('order by ') -%}
            {{ exceptions.raise_compiler_error("listagg on Spark: expected 'order by ...', got " ~ clause) }}
        {%- endif -%}
        {%- for key in clause[9:].split(',') -%}
            {%- set words = key.split() -%}
            {%- if words[-1] | lower == 'desc' or 'nulls' in (key | lower) -%}
                {{ exceptions.raise_compiler_error("listagg on Spark orders ascending only: " ~ clause) }}
            {%- endif -%}
            {%- do keys.append((words[:-1] if words[-1] | lower == 'asc' else words) | join(' ')) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if is_distinct -%}
        {%- set values = 'array_sort(array_distinct(collect_list(' ~ value ~ ')))' -%}
    {%- elif keys -%}
        {%- set fields = [] -%}
        {%- for key in keys -%}
            {%- do fields.append("'k" ~ loop.index ~ "', " ~ key) -%}
        {%- endfor -%}
        {%- set entries = 'collect_list(case when (' ~ value ~ ') is not null then named_struct('
            ~ fields | join(', ') ~ ", 'v', " ~ value ~ ') end)' -%}
        {%- set values = 'transform(array_sort(' ~ entries ~ '), entry -> entry.v)' -%}
    {%- else -%}
        {%- set values = 'collect_list(' ~ value ~ ')' -%}
    {%- endif -%}
    {%- if limit_num -%}
        {%- set values = 'slice(' ~ values ~ ', 1, ' ~ limit_num ~ ')' -%}
    {%- endif -%}
    if(size({{ values }}) = 0, null, array_join({{ values }}, {{ delimiter_text }}))
{%- endmacro %}
