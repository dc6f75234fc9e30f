{#- The bronze sources int_identity__file_links reads, which are also the `source` of its
    links: the file versions it must read, and those whose rows it keeps, are theirs. -#}
{% macro identity_link_sources() -%}
    {{- return([
        'wechat_oa_users', 'wechat_mp_users', 'wechat_mp_events', 'wecom_contacts', 'wecom_groups',
        'crm_members', 'tmall_orders', 'jd_orders', 'douyin_orders', 'youzan_orders', 'erp_sales',
    ]) -}}
{%- endmacro %}
