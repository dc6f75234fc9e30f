{{ config(pre_hook="{{ snapshot_previous_persons() }}") }}
-- One row per identifier that belongs to a person, with its person_id.
--
-- person_id is derived from the person's anchor: its earliest identifier (by
-- first_seen_at, then type:value). So the same inputs give the same ids; a person that
-- gains identifiers keeps its id (new identifiers are seen later); when two persons merge
-- the older one's id survives (its anchor is the earlier one); and when a guard newly
-- cuts a person in two, the part holding the anchor keeps the id while the other part
-- gets the id of its own anchor. Retired ids are recorded in marts.person_id_merges.
-- The id is a keyed hash, so it reveals nothing of the anchor (which may be a phone).
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

)

select
    'P' || substr({{ pseudonymize("'person:' || anchors.anchor_key") }}, 1, 16) as person_id,
    members.identifier_type,
    members.identifier_value,
    members.node_key,
    members.first_seen_at,
    members.last_seen_at,
    members.node_key = anchors.anchor_key as is_anchor

from members
inner join anchors on members.component_key = anchors.component_key
