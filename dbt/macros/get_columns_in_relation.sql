{#-
  dbt-duckdb quirk (dbt-core issues #9851 / #10292): a unit test whose `given` input is a
  source() builds its fixture from adapter.get_columns_in_relation on the *plain*
  relation "warehouse"."bronze"."<table>", not on the source's external_location, so it
  fails with "Not able to get columns for unit test ... because the relation doesn't
  exist". This override (the root project wins dispatch for the `dbt` namespace) looks
  the relation up among the sources and describes their read_parquet(...) instead;
  every other relation goes to dbt-duckdb's own implementation.
-#}
{% macro duckdb__get_columns_in_relation(relation) -%}
    {%- set ns = namespace(external=none) -%}
    {%- if execute and relation.external is none -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.config.get('external_location')
                  and node.schema | lower == (relation.schema or '') | lower
                  and node.identifier | lower == (relation.identifier or '') | lower -%}
                {%- set ns.external = node.relation_name -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {%- if ns.external is none -%}
        {{ return(dbt.duckdb__get_columns_in_relation(relation)) }}
    {%- endif -%}

    {% call statement('get_columns_in_external_source', fetch_result=True) %}
        select
            column_name,
            column_type as data_type,
            cast(null as bigint) as character_maximum_length,
            cast(null as bigint) as numeric_precision,
            cast(null as bigint) as numeric_scale
        from (describe select * from {{ ns.external }})
    {% endcall %}
    {{ return(sql_convert_columns_in_relation(load_result('get_columns_in_external_source').table)) }}
{%- endmacro %}
