{#- Beijing midnight of an export date as a timestamptz: when a record carries no
    business time of its own, its export date is the best "seen at" we have. -#}
{% macro export_date_ts(date_expr) -%}
    {{ beijing_midnight(date_expr) }}
{%- endmacro %}
