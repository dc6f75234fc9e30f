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

guarded as (

    select
        left_type || ':' || left_value as left_key,
        right_type || ':' || right_value as right_key,
        evidence, source, first_seen_at, last_seen_at, sightings,
        first_source_file, last_source_file, source_files
    from {{ ref('int_identity__guarded_links') }}
    where guard_reason is null

),

kept_links as (

    -- links that join unconditionally
    select guarded.*, cast(null as bigint) as override_row, cast(null as string) as override_reason,
        cast(null as string) as override_author
    from guarded
    where evidence <> 'phone_receiver'

    union all

    -- receiver phones the gift rules accepted
    select guarded.*, cast(null as bigint), cast(null as string), cast(null as string)
    from guarded
    inner join {{ ref('int_identity__receiver_links') }} as receivers
        on guarded.left_key = receivers.order_node and guarded.right_key = receivers.phone_node
    where guarded.evidence = 'phone_receiver' and receivers.drop_reason is null

    union all

    -- links an analyst added (always_link)
    select
        added.left_key, added.right_key, 'override_always_link', 'identity_overrides',
        cast(overrides.added_on as {{ type_instant() }}), cast(overrides.added_on as {{ type_instant() }}),
        -- an added link has one file, its first and its last (hence the repeated column)
        1, overrides.overrides_file, overrides.overrides_file, 1,  -- noqa: AL08
        overrides.override_row, overrides.reason, overrides.author
    from {{ ref('int_identity__override_edges') }} as added
    inner join {{ ref('int_identity__overrides') }} as overrides on added.override_row = overrides.override_row
    where added.change = 'added'

),

hop_links as (

    select paths.node_key, kept_links.*
    from paths
    inner join kept_links on paths.node_key = kept_links.left_key and paths.parent_key = kept_links.right_key

    union all

    select paths.node_key, kept_links.*
    from paths
    inner join kept_links on paths.node_key = kept_links.right_key and paths.parent_key = kept_links.left_key

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
