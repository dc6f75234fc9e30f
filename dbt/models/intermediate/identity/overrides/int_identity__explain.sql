-- Why each identifier belongs to its person: its parent on a shortest path of kept links to
-- the person's anchor (int_identity__paths) and every link that joins the two, with its
-- evidence, source, first/last seen and the export files it came from. Following
-- parent_key from any identifier to hops = 0 gives its whole path (`siyu explain`).
-- Restricted (plain identifiers): never published to serving.
--
-- Millions of rows at a million customers, and a new export day touches a few percent of
-- the persons, so built incrementally (delete+insert by identifier): a night re-explains
-- every identifier of each person, current or as held here, that has an identifier
--   * whose person, anchor, parent or hops differ from the rows held here (a merge, a split,
--     a new or blocked identifier, a shorter path, an earlier anchor), or
--   * at an end of a link of an identity file version this table was not built from (a
--     link's first/last seen, sightings and files; a guard or gift rule that the new links
--     turned: they decide on the links of one identifier or one person), or
--   * at an end of an analyst's added link (the overrides file may have changed its reason).
-- Those persons are among the ones the paths' retrace list (int_identity__persons_to_retrace)
-- names when the list compared the paths of the build whose rows this table holds: then the
-- list is taken as is (macros/changed_persons.sql, retrace_list_serves); after a build that
-- stopped between the paths and this model, this model compares its own rows.
-- The file versions it was built from are recorded after each build
-- (int_identity__explain__file_versions, macros/file_versions.sql); when one of them is gone
-- (a replaced export, a file an erasure rewrote) every person is re-explained. The
-- post-hook deletes the rows of identifiers that left every person. `dbt build
-- --full-refresh` gives the same rows (tests/test_incremental_nights.py). On Spark a plain
-- table, like the other incremental models.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    incremental_strategy="delete+insert",
    unique_key="node_key",
    on_schema_change="fail",
    post_hook=[
        "{{ delete_rows_of_identifiers_without_person(ref('int_identity__persons')) }}",
        "{{ record_file_versions(ref('int_identity__file_links')) }}",
    ],
) }}
-- depends_on: {{ ref('int_identity__persons_to_retrace') }}
{%- set new_links = file_versions_since_last_build(ref('int_identity__file_links')) %}
{%- set listed = new_links is not none and retrace_list_serves() %}
with

every_person as (

    select person_id, node_key, identifier_type, identifier_value, is_anchor
    from {{ ref('int_identity__persons') }}

),

paths as (

    select node_key, parent_key, hops from {{ ref('int_identity__paths') }}

),
{% if new_links is none %}
persons as (

    select * from every_person

),
{% elif listed %}
-- the persons the paths' retrace list names (this build's list compared the paths of the
-- build whose rows this table holds): comparing every identifier's place here again cost
-- 34 of the 39 s of this model on a new day at a million customers
persons as (

    select every_person.*
    from every_person
    semi join {{ ref('int_identity__persons_to_retrace') }} as retraced
        on every_person.person_id = retraced.person_id

),
{% else %}
-- each identifier's place in its person's tree, as held here and as now; a hash of the
-- place, so that one join on the identifier finds those that moved (a set difference
-- over the columns took four times as long at a million customers)
held as (

    select node_key, min(person_id) as person_id, min(hash(person_id, is_anchor, parent_key, hops)) as place
    from {{ this }}
    group by node_key

),

trees as (

    select every_person.node_key, every_person.person_id,
        hash(every_person.person_id, every_person.is_anchor, paths.parent_key, paths.hops) as place
    from every_person
    inner join paths on every_person.node_key = paths.node_key

),

moved as (

    select trees.person_id as current_person_id, held.person_id as held_person_id
    from trees
    full outer join held on trees.node_key = held.node_key
    where trees.place is distinct from held.place

),

changed_persons as (

    {{ changed_persons("every_person", "held", "moved", new_links, "('added')") }}

),

persons as (

    select every_person.*
    from every_person
    inner join changed_persons on every_person.person_id = changed_persons.person_id

),
{% endif %}
-- each identifier and its parent as typed values, so the links of a hop are found by a join
-- on the links' own columns: building `type:value` keys for every link (tens of millions at
-- a million customers) to join on them made this the slowest model of the build
hops as (

    select
        paths.node_key,
        paths.parent_key,
        child.identifier_type as node_type,
        child.identifier_value as node_value,
        parent.identifier_type as parent_type,
        parent.identifier_value as parent_value
    from paths
    inner join persons as child on paths.node_key = child.node_key
    inner join persons as parent on paths.parent_key = parent.node_key

),

-- each hop both ways round, so that one scan of the links finds those that join it
hop_ends as (

    -- the hop's identifier is also its left or its right end (hence the repeated column)
    select
        node_key, node_key as left_key, parent_key as right_key,
        node_type as left_type, node_value as left_value, parent_type as right_type, parent_value as right_value
    from hops

    union all

    select node_key, parent_key, node_key, parent_type, parent_value, node_type, node_value  -- noqa: AL08
    from hops

),

hop_guarded as (

    select
        hop_ends.node_key,
        hop_ends.left_key,
        hop_ends.right_key,
        links.evidence, links.source, links.first_seen_at, links.last_seen_at, links.sightings,
        links.first_source_file, links.last_source_file, links.source_files
    from hop_ends
    inner join {{ ref('int_identity__guarded_links') }} as links
        on hop_ends.left_type = links.left_type and hop_ends.left_value = links.left_value
        and hop_ends.right_type = links.right_type and hop_ends.right_value = links.right_value
    where links.guard_reason is null
    {%- if new_links is not none %}
        -- only the links of the persons re-explained: else DuckDB hashes all the links to
        -- join the few hops of a night
        and links.left_value in (select identifier_value from persons)
    {%- endif %}

),

hop_links as (

    -- links that join unconditionally
    select
        hop_guarded.*,
        cast(null as bigint) as override_row,
        cast(null as string) as override_reason,
        cast(null as string) as override_author
    from hop_guarded
    where evidence <> 'phone_receiver'

    union all

    -- receiver phones the gift rules accepted
    select hop_guarded.*, cast(null as bigint), cast(null as string), cast(null as string)
    from hop_guarded
    inner join {{ ref('int_identity__receiver_links') }} as receivers
        on hop_guarded.left_key = receivers.order_node and hop_guarded.right_key = receivers.phone_node
    where hop_guarded.evidence = 'phone_receiver' and receivers.drop_reason is null

    union all

    -- links an analyst added (always_link), either way round
    select
        paths.node_key, added.left_key, added.right_key, 'override_always_link', 'identity_overrides',
        cast(overrides.added_on as {{ type_instant() }}), cast(overrides.added_on as {{ type_instant() }}),
        -- an added link has one file, its first and its last (hence the repeated column)
        1, overrides.overrides_file, overrides.overrides_file, 1,  -- noqa: AL08
        overrides.override_row, overrides.reason, overrides.author
    from {{ ref('int_identity__override_edges') }} as added
    inner join {{ ref('int_identity__overrides') }} as overrides on added.override_row = overrides.override_row
    inner join paths
        on (paths.node_key = added.left_key and paths.parent_key = added.right_key)
        or (paths.node_key = added.right_key and paths.parent_key = added.left_key)
    where added.change = 'added'

)

select
    persons.person_id,
    persons.node_key,
    persons.identifier_type,
    persons.identifier_value,
    persons.is_anchor,
    paths.hops,
    paths.parent_key,
    hop_links.evidence,
    hop_links.source,
    hop_links.first_seen_at,
    hop_links.last_seen_at,
    hop_links.sightings,
    hop_links.first_source_file,
    hop_links.last_source_file,
    hop_links.source_files,
    hop_links.override_row,
    hop_links.override_reason,
    hop_links.override_author

from persons
inner join paths on persons.node_key = paths.node_key
left join hop_links on persons.node_key = hop_links.node_key
