-- Why each identifier belongs to its person: its parent on a shortest path of kept links to
-- the person's anchor (int_identity__paths) and every link that joins the two, with its
-- evidence, source, first/last seen and the export files it came from. Following
-- parent_key from any identifier to hops = 0 gives its whole path (`siyu explain`).
-- Restricted (plain identifiers): never published to serving.
with

persons as (

    select person_id, node_key, identifier_type, identifier_value, is_anchor
    from {{ ref('int_identity__persons') }}

),

paths as (

    select node_key, parent_key, hops from {{ ref('int_identity__paths') }}

),

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

hop_guarded as (

    select
        hops.node_key,
        hops.node_key as left_key,
        hops.parent_key as right_key,
        links.evidence, links.source, links.first_seen_at, links.last_seen_at, links.sightings,
        links.first_source_file, links.last_source_file, links.source_files
    from hops
    inner join {{ ref('int_identity__guarded_links') }} as links
        on hops.node_type = links.left_type and hops.node_value = links.left_value
        and hops.parent_type = links.right_type and hops.parent_value = links.right_value
    where links.guard_reason is null

    union all

    select
        hops.node_key,
        hops.parent_key as left_key,
        hops.node_key as right_key,
        links.evidence, links.source, links.first_seen_at, links.last_seen_at, links.sightings,
        links.first_source_file, links.last_source_file, links.source_files
    from hops
    inner join {{ ref('int_identity__guarded_links') }} as links
        on hops.parent_type = links.left_type and hops.parent_value = links.left_value
        and hops.node_type = links.right_type and hops.node_value = links.right_value
    where links.guard_reason is null

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
