{#- A link's key, (left_type, left_value, right_type, right_value, source, evidence), matched
    between two relations: null-safe, because a side may be null (an identifier seen alone). -#}
{% macro identity_link_key_matches(a, b) -%}
    {%- set matches = [] -%}
    {%- for column in ["left_type", "left_value", "right_type", "right_value", "source", "evidence"] -%}
        {%- do matches.append(a ~ "." ~ column ~ " is not distinct from " ~ b ~ "." ~ column) -%}
    {%- endfor -%}
    {{- return(matches) -}}
{%- endmacro %}
