{#- SQL expression: platform code of an ERP 订单来源 expression (sources/vocabularies.yml); null when unknown. -#}
{% macro order_source_to_platform(expr) -%}
    case {{ expr }}
    {%- for source_name, platform in erp_order_sources().items() %}
        when '{{ source_name }}' then '{{ platform }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- SQL expression: `<platform>:<platform order id>`, null when either part is null. -#}
{% macro order_key(platform_expr, order_id_expr) -%}
    ({{ platform_expr }} || ':' || {{ order_id_expr }})
{%- endmacro %}
