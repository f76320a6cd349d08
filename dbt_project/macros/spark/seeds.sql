{#-
    Seeds on Spark. dbt-spark's session cursor turns every binding into the text '<value>', so an
    empty cell became the string 'None' (not NULL) and a quote inside a cell broke the INSERT.
    This writes each cell as a Spark literal instead: NULL, a number, a timestamp or date, or a
    string with backslash and quote escaped.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set names = agate_table.column_names -%}
    {%- set types = [] -%}
    {%- for name in names -%}
        {%- do types.append(column_override.get(name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    cast({{ ciw_spark_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                ){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}


{% macro ciw_spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- elif value.hour is defined -%}
        timestamp '{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
    {%- elif value.isoformat is defined -%}
        date '{{ value.isoformat() }}'
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
