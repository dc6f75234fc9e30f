{#- A link's key, (left_type, left_value, right_type, right_value, source, evidence), matched
    between two relations: null-safe, because a side may be null (an identifier seen alone). -#}
{% macro identity_link_key_matches(a, b) -%}
    {%- set matches = [] -%}
    {%- for column in ["left_type", "left_value", "right_type", "right_value", "source", "evidence"] -%}
        {%- do matches.append(a ~ "." ~ column ~ " is not distinct from " ~ b ~ "." ~ column) -%}
    {%- endfor -%}
    {{- return(matches) -}}
{%- endmacro %}

{#- post_hook of int_identity__links: when the build summed every link again (a file
    version it was built from is gone), the links no file carries any more leave it. -#}
{% macro delete_links_without_file(file_links) -%}
    {%- if is_incremental() and file_versions_since_last_build(file_links) is none -%}
    delete from {{ this }} as current
    where not exists (
        select 1 from {{ file_links }} as file_links
        where {{ identity_link_key_matches('file_links', 'current') | join(' and ') }}
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
