-- One row per Mini Program event (deduplicated on event_id) with the person it belongs
-- to and the person whose share brought it. An event belongs to the person of its openid,
-- else of its device (anonymous_id) when that device is in the identity table: shared
-- devices are blocked upstream, so a device present there maps to exactly one person.
-- Events of unknown devices without an openid belong to nobody (person_id null).
with

events as (

    select
        event_id,
        event,
        event_time,
        openid,
        anonymous_id,
        share_from,
        nullif(trim(channel), '') as channel,
        order_key,
        amount

    from {{ ref('stg_wechat_mp__events') }}

),

identifiers as (

    select identifier_type, identifier_value, person_id
    from {{ ref('int_identity__persons') }}
    where identifier_type in ('mp_openid', 'mp_anonymous_id')

),

mapped as (

    select
        events.*,
        coalesce(by_openid.person_id, by_device.person_id) as person_id,
        case
            when by_openid.person_id is not null then 'mp_openid'
            when by_device.person_id is not null then 'mp_anonymous_id'
        end as person_matched_by,
        sharer.person_id as share_from_person_id

    from events
    left join identifiers as by_openid
        on by_openid.identifier_type = 'mp_openid'
        and events.openid = by_openid.identifier_value
    left join identifiers as by_device
        on by_device.identifier_type = 'mp_anonymous_id'
        and events.anonymous_id = by_device.identifier_value
    left join identifiers as sharer
        on sharer.identifier_type = 'mp_openid'
        and events.share_from = sharer.identifier_value

)

select * from mapped
