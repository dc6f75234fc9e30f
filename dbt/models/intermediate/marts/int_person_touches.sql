-- One row per (person, touch type): the person's earliest touch of each kind with the
-- channel it carries (marts.md, dim_customers.acquisition_channel and
-- fct_customer_lifecycle.aware_at). touch_precedence is the spec's tie-break order when
-- two touches share a timestamp: referral, WeCom, OA, MP, group, CRM, platform order.
with

identifiers as (

    select identifier_type, identifier_value, person_id
    from {{ ref('int_identity__persons') }}

),

oa_follows as (

    -- every subscribe_time ever exported (a re-follow overwrites it in later exports):
    -- the earliest is the first follow, and its scene is the channel of that follow
    select
        identifiers.person_id,
        history.subscribe_time as touched_at,
        'oa:' || coalesce(
            nullif(trim(history.qr_scene_str), ''),
            nullif(trim(history.subscribe_scene), ''),
            'unknown'
        ) as channel,
        history.openid as touch_ref

    from {{ ref('stg_wechat_oa__user_history') }} as history
    inner join identifiers
        on identifiers.identifier_type = 'oa_openid'
        and history.openid = identifiers.identifier_value
    where history.subscribe_time is not null

),

wecom_adds as (

    -- every staff add ever exported; the earliest createtime over staff wins
    select
        identifiers.person_id,
        follows.createtime as touched_at,
        case
            when follows.state is not null then 'wecom:' || follows.state
            else 'wecom:add_way_' || coalesce(cast(follows.add_way as string), 'unknown')
        end as channel,
        follows.external_userid || '/' || coalesce(follows.userid, '') as touch_ref

    from {{ ref('stg_wecom__contact_follow_history') }} as follows
    inner join identifiers
        on identifiers.identifier_type = 'wecom_external_userid'
        and follows.external_userid = identifiers.identifier_value
    where follows.createtime is not null

),

-- read twice (first times, then their events): inlined, as DuckDB would otherwise copy
-- all 20M events first (14 s for the model, 9.6 s inlined: the 1M bench landing)
mp_events as {{ inline_cte() }} (

    select * from {{ ref('int_mp_events__persons') }}
    where person_id is not null

),

first_mp_event_times as (

    -- an aggregate first, so that the tie-break window below sorts only the events of
    -- each person's first instant, not all events (tens of millions)
    select person_id, min(event_time) as first_event_time
    from mp_events
    group by person_id

),

first_mp_events as (

    -- the person's first MP event (ties: the smallest event_id); a shared link
    -- (share_from of another person's openid) on it makes the person referred by that person
    select
        mp_events.person_id,
        mp_events.event_time as touched_at,
        mp_events.channel,
        case
            when mp_events.share_from_person_id is not null
                and mp_events.share_from_person_id <> mp_events.person_id
                then mp_events.share_from_person_id
        end as referred_by_person_id,
        mp_events.event_id as touch_ref

    from mp_events
    inner join first_mp_event_times
        on mp_events.person_id = first_mp_event_times.person_id
        and mp_events.event_time = first_mp_event_times.first_event_time
    qualify row_number() over (partition by mp_events.person_id order by mp_events.event_id) = 1

),

mp_first_event_touches as (

    select
        person_id,
        touched_at,
        case
            when referred_by_person_id is not null then 'referral'
            else 'mp:' || coalesce(channel, 'organic')
        end as channel,
        referred_by_person_id,
        touch_ref

    from first_mp_events

),

mp_registrations as (

    -- the channel of an MP registration is that of the person's first MP event
    -- ('organic' when it has none or the person has no MP event)
    select
        identifiers.person_id,
        users.register_time as touched_at,
        'mp:' || coalesce(first_mp_events.channel, 'organic') as channel,
        users.openid as touch_ref

    from {{ ref('stg_wechat_mp__users') }} as users
    inner join identifiers
        on identifiers.identifier_type = 'mp_openid'
        and users.openid = identifiers.identifier_value
    left join first_mp_events on identifiers.person_id = first_mp_events.person_id
    where users.register_time is not null

),

group_joins as (

    select
        identifiers.person_id,
        members.join_time as touched_at,
        'wecom_group' as channel,
        members.chat_id as touch_ref

    from {{ ref('stg_wecom__group_member_history') }} as members
    inner join identifiers
        on identifiers.identifier_type = 'wecom_external_userid'
        and members.external_userid = identifiers.identifier_value
    where members.member_type = 2 and members.join_time is not null

),

crm_registrations as (

    select
        identifiers.person_id,
        members.registered_at as touched_at,
        'crm:' || coalesce(nullif(trim(members.register_channel), ''), 'unknown') as channel,
        members.member_id as touch_ref

    from {{ ref('stg_crm__members') }} as members
    inner join identifiers
        on identifiers.identifier_type = 'crm_member_id'
        and members.member_id = identifiers.identifier_value
    where members.registered_at is not null

),

orders as (

    -- any order counts as a touch, valid or not (the buyer was there)
    select
        person_id,
        ordered_at as touched_at,
        'platform:' || platform as channel,
        order_key as touch_ref

    from {{ ref('fct_orders') }}
    where person_id is not null and ordered_at is not null

),

touches as (

    select person_id, 'mp_event' as touch_type, 1 as touch_precedence, touched_at, channel,
        referred_by_person_id, touch_ref
    from mp_first_event_touches where referred_by_person_id is not null
    union all
    select person_id, 'wecom_add', 2, touched_at, channel, null, touch_ref from wecom_adds
    union all
    select person_id, 'oa_follow', 3, touched_at, channel, null, touch_ref from oa_follows
    union all
    select person_id, 'mp_event', 4, touched_at, channel, null, touch_ref
    from mp_first_event_touches where referred_by_person_id is null
    union all
    select person_id, 'mp_registration', 4, touched_at, channel, null, touch_ref from mp_registrations
    union all
    select person_id, 'group_join', 5, touched_at, channel, null, touch_ref from group_joins
    union all
    select person_id, 'crm_registration', 6, touched_at, channel, null, touch_ref from crm_registrations
    union all
    select person_id, 'order', 7, touched_at, channel, null, touch_ref from orders

),

earliest_per_type as (

    select * from touches
    qualify row_number() over (
        partition by person_id, touch_type
        order by touched_at, channel, touch_ref
    ) = 1

)

select * from earliest_per_type
