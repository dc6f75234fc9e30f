{#-
  Phone normalisation for phones that bronze cannot normalise because they sit inside JSON
  lists (WeCom follow_user[].remark_mobiles). It calls normalize_phone(), the ingestion's own
  Python rule (dagster_project.parsing.normalize_phone) registered on every dbt connection by
  the profile's plugin (dagster_project/duckdb_plugin.py): one implementation of the rule.
  Bronze phone columns are already normalised (<col>_normalized).
-#}
{% macro normalize_phone(expr) -%}
    normalize_phone(cast({{ expr }} as varchar))
{%- endmacro %}
