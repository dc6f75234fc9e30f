{#- Keyed pseudonym (HMAC-SHA256 hex) of a text expression. On DuckDB this calls the
    pseudonymize() function that the profile's plugin (dagster_project/rules/pseudonymize.py)
    registers, so the key never appears in SQL or in dbt's logs. -#}
{% macro pseudonymize(expr) -%}
    {{ return(adapter.dispatch('pseudonymize')(expr)) }}
{%- endmacro %}

{% macro default__pseudonymize(expr) -%}
    pseudonymize({{ expr }})
{%- endmacro %}
