-- Every identifier ever seen, linked or not (an OA follower without unionid is a person
-- of their own), with first/last seen. The unblocked ones are the nodes of the identity
-- graph; blocked ones (junk, shared) belong to no person (int_identity__blocked_identifiers).
with

sightings as (

    select left_type as identifier_type, left_value as identifier_value, first_seen_at, last_seen_at
    from {{ ref('int_identity__links') }}
    where left_value is not null
    union all
    select right_type, right_value, first_seen_at, last_seen_at
    from {{ ref('int_identity__links') }}
    where right_value is not null

),

seen as (

    select
        identifier_type,
        identifier_value,
        identifier_type || ':' || identifier_value as node_key,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at

    from sightings
    group by identifier_type, identifier_value

)

select
    seen.*,
    blocked.reason is not null as is_blocked,
    blocked.reason as blocked_reason

from seen
left join {{ ref('int_identity__blocked_identifiers') }} as blocked
    on seen.identifier_type = blocked.identifier_type and seen.identifier_value = blocked.identifier_value
