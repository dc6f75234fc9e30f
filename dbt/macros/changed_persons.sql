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

{#- The retrace list (int_identity__persons_to_retrace) compares the held paths. Its
    post_hook records which build made it and which build of int_identity__paths it
    compared (recorded_build_of), so that a model whose held rows come from that same
    build can take the list as its changed persons (retrace_list_serves). On Spark, where
    the models incremental by person are plain tables, nothing is recorded. -#}
{% macro retrace_comparison_record() -%}
    {%- do return(api.Relation.create(database=this.database, schema=this.schema,
                                      identifier='int_identity__persons_to_retrace__compared', type='table')) -%}
{%- endmacro %}

{% macro record_retrace_comparison(held_model) -%}
    {%- if target.type == "spark" -%}
    select 1
    {%- else -%}
    {%- set held_build = recorded_build_of(held_model) -%}
    create or replace table {{ retrace_comparison_record() }} as
    select
        '{{ invocation_id }}' as listed_by,
        {{ "'" ~ held_build ~ "'" if held_build else "cast(null as varchar)" }} as compared_build,
        coalesce((select bool_or(traces_every_person) from {{ this }}), false) as lists_every_person
    {%- endif -%}
{%- endmacro %}

{#- Whether the retrace list holds every person whose rows in this model (incremental by
    person, derived from int_identity__paths) can differ: the list was made in this very
    build, it compared the held paths of the build whose rows this model holds (both records
    name it: a build that stopped between the paths and this model, or a selection that
    left this model out, leaves them apart), and it did not list every person. The persons
    a changed_persons comparison of this model would find are then among those listed: a
    person the list leaves out kept its identifiers, anchor and paths, and no new link or
    override touches it. The record is looked up in the catalog, not in dbt's relation
    cache: this build wrote it. -#}
{% macro retrace_list_serves() -%}
    {%- if not execute or target.type == "spark" -%}{{- return(false) -}}{%- endif -%}
    {%- set record = retrace_comparison_record() -%}
    {%- set found -%}
        select count(*) from information_schema.tables
        where table_catalog = '{{ record.database }}' and table_schema = '{{ record.schema }}'
            and table_name = '{{ record.identifier }}'
    {%- endset -%}
    {%- if run_query(found).columns[0].values()[0] == 0 -%}{{- return(false) -}}{%- endif -%}
    {%- set row = run_query('select listed_by, compared_build, lists_every_person from ' ~ record).rows[0] -%}
    {%- set own_build = recorded_build_of(this.identifier) -%}
    {{- return(row[0] == invocation_id and own_build is not none and row[1] == own_build and not row[2]) -}}
{%- endmacro %}
