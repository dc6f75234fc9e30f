{#- The persons, current and as held, that a model incremental by person
    (int_identity__paths, int_identity__explain) derives again: both persons of each row of
    `moved` (current_person_id, held_person_id: identifiers whose place changed), and the
    persons holding an identifier at an end of a link of int_identity__file_links' rows
    that `new_links` keeps (its new file versions) or of an analyst's override whose change
    is one of `override_changes`. `current_persons` and `held` have node_key and person_id. -#}
{% macro changed_persons(current_persons, held, moved, new_links, override_changes) -%}
    with

    new_links as (
        select left_type, left_value, right_type, right_value
        from {{ ref('int_identity__file_links') }}
        where {{ new_links }}
    ),

    touched as (
        select left_type || ':' || left_value as node_key from new_links
        union
        select right_type || ':' || right_value from new_links
        union
        select left_key from {{ ref('int_identity__override_edges') }} where change in {{ override_changes }}
        union
        select right_key from {{ ref('int_identity__override_edges') }} where change in {{ override_changes }}
    )

    select current_person_id as person_id from {{ moved }}
    union
    select held_person_id from {{ moved }}
    union
    select {{ current_persons }}.person_id
    from {{ current_persons }}
    inner join touched on {{ current_persons }}.node_key = touched.node_key
    union
    select {{ held }}.person_id
    from {{ held }}
    inner join touched on {{ held }}.node_key = touched.node_key
{%- endmacro %}
