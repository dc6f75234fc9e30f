{#- The one place where ERP 订单来源 values map to platform codes (marts.md fct_orders). -#}
{% macro order_source_platforms() -%}
    {{ return({
        '天猫': 'tmall',
        '京东': 'jd',
        '抖音': 'douyin',
        '有赞': 'youzan',
        '小程序': 'miniprogram',
        '线下': 'offline',
    }) }}
{%- endmacro %}

{#- SQL expression: platform code of an ERP 订单来源 expression; null when unknown. -#}
{% macro order_source_to_platform(expr) -%}
    case {{ expr }}
    {%- for source_name, platform in order_source_platforms().items() %}
        when '{{ source_name }}' then '{{ platform }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- SQL expression: `<platform>:<platform order id>`, null when either part is null. -#}
{% macro order_key(platform_expr, order_id_expr) -%}
    ({{ platform_expr }} || ':' || {{ order_id_expr }})
{%- endmacro %}
