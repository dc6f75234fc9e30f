{#- True for normalised phones that cannot be a person's number: eleven identical digits
    (13333333333 is blocked via the seed; this catches the rest) or a long run of one digit. -#}
{% macro is_junk_phone(expr) -%}
    (
        {{ expr }} like '+86%'
        and (
            length(replace(substr({{ expr }}, 5), substr({{ expr }}, 5, 1), '')) = 0
            or {{ regexp_contains(expr, "'(0000000|1111111|2222222|3333333|4444444|5555555|6666666|7777777|8888888|9999999)$'") }}
        )
    )
{%- endmacro %}
