{#-
  Phone normalisation for phones that bronze cannot normalise because they sit inside JSON
  lists (WeCom follow_user[].remark_mobiles). Both call the ingestion's own Python rule
  (dagster_project.rules.parsing.normalize_phone) through dagster_project/dbt_runtime/sql_functions.py, which
  every dbt connection registers (DuckDB: the profile's plugin; Spark: spark_build): one
  implementation of the rule. Bronze phone columns are already normalised (<col>_normalized).
-#}
{% macro normalize_phone(expr) -%}
    normalize_phone(cast({{ expr }} as string))
{%- endmacro %}

{#- A list of phone texts -> its valid normalised phones, distinct and sorted. -#}
{% macro normalize_phone_list(expr) -%}
    normalize_phones({{ expr }})
{%- endmacro %}
