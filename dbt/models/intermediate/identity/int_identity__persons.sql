{{ config(pre_hook="{{ snapshot_previous_persons() }}") }}
-- One row per identifier that belongs to a person, with its person_id.
--
-- person_id is kept from the previous run (int_identity__persons_previous, written by the
-- pre-hook): each previous id goes to the current person holding most of its identifiers
-- (ties: the one holding the earliest of them). A person that won several ids (a merge)
-- keeps the id of the older person (earliest first_seen_at); the others retire and are
-- recorded in marts.person_id_merges. So a person whose identifiers neither merged nor split
-- keeps its id on every later night, whatever its anchor does (a late export with an
-- earlier sighting, a device or phone that a guard newly cuts off).
--
-- A person without a previous id (new, or the smaller part of a split) gets one derived
-- from its anchor: its earliest identifier (by first_seen_at, then type:value). So a first
-- run, or the same inputs, give the same ids. The id is a keyed hash, so it reveals
-- nothing of the anchor (which may be a phone).
with

nodes as (

    select * from {{ ref('int_identity__identifiers') }}
    where not is_blocked

),

components as (

    select * from {{ ref('int_identity__components') }}

),

members as (

    select nodes.*, components.component_key
    from nodes
    inner join components on nodes.node_key = components.node_key

),

anchors as (

    select component_key, node_key as anchor_key
    from (
        select
            component_key,
            node_key,
            row_number() over (partition by component_key order by first_seen_at, node_key) as position
        from members
    ) as ranked
    where position = 1

),

previous as (

    select person_id, node_key, first_seen_at
    from {{ this.schema }}.int_identity__persons_previous

),

claims as (

    -- which current persons hold identifiers of which previous person
    select
        members.component_key,
        previous.person_id,
        count(*) as shared_identifiers,
        min(members.first_seen_at) as earliest_identifier

    from members
    inner join previous on members.node_key = previous.node_key
    group by members.component_key, previous.person_id

),

id_winners as (

    select component_key, person_id
    from (
        select
            component_key,
            person_id,
            row_number() over (
                partition by person_id
                order by shared_identifiers desc, earliest_identifier, component_key
            ) as position
        from claims
    ) as ranked
    where position = 1

),

previous_age as (

    select person_id, min(first_seen_at) as since
    from previous
    group by person_id

),

kept as (

    select component_key, person_id
    from (
        select
            id_winners.component_key,
            id_winners.person_id,
            row_number() over (
                partition by id_winners.component_key
                order by previous_age.since, id_winners.person_id
            ) as position
        from id_winners
        inner join previous_age on id_winners.person_id = previous_age.person_id
    ) as ranked
    where position = 1

),

fresh as (

    select
        anchors.component_key,
        anchors.anchor_key,
        'P' || substr({{ pseudonymize("'person:' || anchors.anchor_key") }}, 1, 16) as person_id

    from anchors
    left join kept on anchors.component_key = kept.component_key
    where kept.component_key is null

),

assigned as (

    select component_key, person_id from kept

    union all

    -- the anchor's id may still be carried by the other part of a split: then a second one
    select
        fresh.component_key,
        case
            when taken.person_id is null then fresh.person_id
            else 'P' || substr({{ pseudonymize("'person:' || fresh.anchor_key || ':split'") }}, 1, 16)
        end

    from fresh
    left join kept as taken on fresh.person_id = taken.person_id

)

select
    assigned.person_id,
    members.identifier_type,
    members.identifier_value,
    members.node_key,
    members.first_seen_at,
    members.last_seen_at,
    members.node_key = anchors.anchor_key as is_anchor

from members
inner join anchors on members.component_key = anchors.component_key
inner join assigned on members.component_key = assigned.component_key
