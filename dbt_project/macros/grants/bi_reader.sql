{#-
    Read-only BI access on PostgreSQL: the role named by var `bi_reader_role` (NOLOGIN, so a
    login user or a `set role` takes it on) gets USAGE on the `marts` schema, and the marts'
    `grants` config (dbt_project.yml) gives it SELECT on each mart. It is granted nothing on
    raw, staging, intermediate or features. Embedded warehouses (DuckDB) have no roles: the
    hook renders no SQL there.

    Runs as an on-run-start hook, before any mart is built, so the grants find the role.
-#}
{% macro ensure_bi_reader_role() -%}
    {{ return(adapter.dispatch('ensure_bi_reader_role', 'customer_intelligence')()) }}
{%- endmacro %}

{% macro default__ensure_bi_reader_role() -%}
{%- endmacro %}

{% macro postgres__ensure_bi_reader_role() -%}
    {%- set role_name = var('bi_reader_role') -%}
    {#- Roles are cluster-wide: runs in parallel may race to create it, so a duplicate is fine. -#}
    do $$
    begin
        if not exists (select from pg_catalog.pg_roles where rolname = '{{ role_name }}') then
            create role {{ adapter.quote(role_name) }} nologin;
        end if;
    exception
        when duplicate_object or unique_violation then null;
    end
    $$;
    create schema if not exists marts;
    grant usage on schema marts to {{ adapter.quote(role_name) }};
{%- endmacro %}
