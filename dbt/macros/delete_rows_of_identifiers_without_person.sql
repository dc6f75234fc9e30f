{#- post_hook of a model incremental by identifier (int_identity__explain): the rows of
    identifiers that belong to no person any more (blocked, erased) leave the table; an
    incremental run re-derives only the identifiers of persons that changed, so nothing
    else would remove them. -#}
{% macro delete_rows_of_identifiers_without_person(persons) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as current
    where not exists (select 1 from {{ persons }} as persons where persons.node_key = current.node_key)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
