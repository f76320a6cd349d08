{#-
    Grants on Spark. The marts grant SELECT to the BI role on PostgreSQL only (dbt_project.yml),
    so on Spark every grant list is empty; dbt would still read the table's grants with
    `show grants on`, which a local session's SQL does not have. With nobody to grant to,
    there is nothing to look up; a list that names someone goes to dbt's usual handling.
-#}
{% macro spark__apply_grants(relation, grant_config, should_revoke=True) -%}
    {%- set grantees = [] -%}
    {%- for privilege, names in (grant_config or {}).items() -%}
        {%- do grantees.extend(names) -%}
    {%- endfor -%}
    {%- if grantees -%}
        {{ return(dbt.default__apply_grants(relation, grant_config, should_revoke)) }}
    {%- endif -%}
{%- endmacro %}
