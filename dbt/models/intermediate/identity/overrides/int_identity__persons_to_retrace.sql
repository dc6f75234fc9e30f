-- The persons whose paths (int_identity__paths) a night traces again. A person's tree (each
-- identifier's parent on a shortest path to the anchor) depends on the person's identifiers,
-- its anchor and the final edges between its identifiers alone, so a night traces the
-- persons, current or as int_identity__paths holds them, that have an identifier
--   * whose person or anchor role differs from int_identity__paths (a merge, a split, a new
--     or blocked identifier, an earlier anchor), or
--   * at an end of a link of an identity file version int_identity__paths was not built
--     from (a new edge; a guard or gift rule that the new links turned decides on the links
--     of one identifier or one person), or
--   * at an end of an analyst's override (a cut or an added link).
-- Every person on a first or full build, on Spark (where int_identity__paths is a plain
-- table), or when a file version int_identity__paths was built from is gone (a replaced
-- export, a file an erasure rewrote: its links may be gone).
-- int_identity__paths is read by name, not ref: it is built from this model (like
-- int_identity__persons_previous, it is the previous run's state).
-- The post-hook records which build of the paths the list compared: int_identity__explain
-- takes the list as its changed persons when its own rows come from that same build.
{{ config(post_hook="{{ record_retrace_comparison('int_identity__paths') }}") }}
-- depends_on: {{ ref('int_identity__file_links') }} {{ ref('int_identity__override_edges') }}
{%- set held = adapter.get_relation(this.database, this.schema, 'int_identity__paths') if execute else none %}
{%- set new_links = none if (held is none or flags.FULL_REFRESH or target.type == "spark")
    else file_versions_since_build_of(ref('int_identity__file_links'), 'int_identity__paths') %}
with

current_persons as (

    select node_key, person_id, is_anchor from {{ ref('int_identity__persons') }}

){% if new_links is none %}

-- every person: said in a column, so the tracing skips the look-up of the listed persons
select distinct person_id, true as traces_every_person from current_persons
{%- else %},

held as (

    select node_key, person_id, hops = 0 as is_anchor from {{ held }}

),

moved as (

    select current_persons.person_id as current_person_id, held.person_id as held_person_id
    from current_persons
    full outer join held on current_persons.node_key = held.node_key
    where current_persons.person_id is distinct from held.person_id
        or current_persons.is_anchor is distinct from held.is_anchor

),

changed as (

    {{ changed_persons("current_persons", "held", "moved", new_links, "('cut', 'added')") }}

)

select person_id, false as traces_every_person from changed
where person_id is not null
{%- endif %}
